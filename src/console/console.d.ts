// console.js is browser code served as is; the server imports it as text (`with { type: "text" }`).
declare const text: string;
export default text;

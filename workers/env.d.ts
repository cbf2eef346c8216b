// Vite's `?url` imports, declared here because vite/client drags in DOM types
// and this project must stay DOM-free.
declare module '*?url' {
  const url: string;
  export default url;
}

// A single-page app: rendered in the browser only, served by index.html for every path.
export const ssr = false;
export const prerender = false;

import { greet } from "./greet.js";
window.greeting = greet("world");

// Placeholder until the renderer lands.
export {};

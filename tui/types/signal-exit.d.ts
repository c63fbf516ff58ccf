// signal-exit 3 ships no types; tui/terminal.ts uses only unload().
declare module 'signal-exit' {
  type Handler = (code: number | null, signal: string | null) => void;
  interface SignalExit {
    (handler: Handler, options?: { alwaysLast?: boolean }): () => void;
    /** Removes signal-exit's process hooks: its exit handlers will not run. */
    unload(): void;
  }
  const onExit: SignalExit;
  export default onExit;
}

/** Minimal declaration of kinesalite 3.x (an in-process Kinesis implementation; ships no types). */
declare module 'kinesalite' {
  import type { Server } from 'http';

  interface KinesaliteOptions {
    /** LevelDB directory; in memory when omitted. */
    path?: string;
    ssl?: boolean;
    key?: string | Buffer;
    cert?: string | Buffer;
    ca?: string | Buffer;
    /** Milliseconds a stream stays CREATING / DELETING / UPDATING (defaults 500 / 500 / 500). */
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  }

  /** Creates (but does not start) an HTTP server speaking the Kinesis API; call `listen`. */
  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}

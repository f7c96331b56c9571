// The XMPP side of bench:load: a private ejabberd (Debian's package) with its own config, spool and
// port under a temp dir, and a dependency-free XMPP client over raw TCP (SASL PLAIN, resource bind,
// XEP-0198 stream management, whose acks count as "accepted").
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.ts';

const EJABBERD_LIBS = process.env.BENCH_EJABBERD_LIBS ?? '/usr/lib/x86_64-linux-gnu';
const EJABBERD_SQL = '/usr/share/ejabberd/sql/pg.sql';
export const XMPP_DOMAIN = 'localhost';
const PASSWORD = 'bench';

/** Why ejabberd cannot be benchmarked here, if it cannot. */
export function ejabberdMissing(): string | undefined {
  if (!existsSync('/usr/bin/erl') || !existsSync(join(EJABBERD_LIBS, 'ejabberd-23.01'))) {
    return 'ejabberd 23.01 is not installed (apt-get install ejabberd erlang-p1-pgsql)';
  }
  return undefined;
}

// ---- a minimal XML stream splitter: enough for a server's well-formed output ----

/** Splits an XMPP stream into its top-level elements (children of <stream:stream>). */
class StanzaSplitter {
  private buffer = '';
  /** Where scanning resumes: the start of a tag not complete yet, or the end of the buffer. */
  private pos = 0;
  private depth = 0;
  /** Where the top-level element under way starts, or -1. */
  private elementStart = -1;

  private readonly onElement: (xml: string) => void;

  constructor(onElement: (xml: string) => void) {
    this.onElement = onElement;
  }

  feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const open = this.buffer.indexOf('<', this.pos);
      if (open < 0) {
        this.pos = this.buffer.length;
        break;
      }
      let close = open + 1;
      let quote = '';
      for (; close < this.buffer.length; close++) {
        const c = this.buffer[close];
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      if (close >= this.buffer.length) {
        this.pos = open; // the tag is not complete yet
        break;
      }
      this.pos = close + 1;
      const tag = this.buffer.slice(open, this.pos);
      if (tag.startsWith('<?')) continue;
      if (tag.startsWith('<stream:stream')) this.depth = 1;
      else if (tag.startsWith('</stream:stream')) {
        this.depth = 0;
        this.onElement('</stream:stream>');
      } else if (tag.startsWith('</')) {
        if (--this.depth === 1) {
          this.onElement(this.buffer.slice(this.elementStart, this.pos));
          this.elementStart = -1;
        }
      } else if (tag.endsWith('/>')) {
        if (this.depth === 1) this.onElement(tag);
      } else {
        if (this.depth === 1) this.elementStart = open;
        this.depth++;
      }
    }
    const cut = this.elementStart >= 0 ? this.elementStart : this.pos;
    this.buffer = this.buffer.slice(cut);
    this.pos -= cut;
    if (this.elementStart >= 0) this.elementStart = 0;
  }
}

const attribute = (xml: string, name: string): string | undefined =>
  new RegExp(`\\s${name}=['"]([^'"]*)['"]`).exec(xml)?.[1];

const STREAM_HEADER = `<?xml version='1.0'?><stream:stream to='${XMPP_DOMAIN}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;

/** A TCP connection to the XMPP server that answers stanzas in order, then hands them to `onStanza`. */
class Connection {
  readonly socket: Socket;
  private waiting: ((xml: string) => void)[] = [];
  private queued: string[] = [];
  onStanza: ((xml: string) => void) | undefined;
  closed = false;

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1' });
    this.socket.setEncoding('utf8');
    this.socket.setNoDelay(true);
    const splitter = new StanzaSplitter((xml) => {
      if (this.onStanza) this.onStanza(xml);
      else {
        const waiter = this.waiting.shift();
        if (waiter) waiter(xml);
        else this.queued.push(xml);
      }
    });
    this.socket.on('data', (chunk: string) => splitter.feed(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w('</stream:stream>');
      this.onStanza?.('</stream:stream>');
    });
  }

  /** The next top-level element (failing on a closed stream or after 60 s). */
  next(): Promise<string> {
    const queued = this.queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('XMPP: no answer in 60 s')), 60_000);
      this.waiting.push((xml) => {
        clearTimeout(timer);
        if (xml === '</stream:stream>' || xml.startsWith('<stream:error'))
          reject(new Error(`XMPP stream ended: ${xml}`));
        else resolve(xml);
      });
    });
  }

  /** Reads until an element starting with one of `starts`. */
  async until(...starts: string[]): Promise<string> {
    for (;;) {
      const xml = await this.next();
      if (starts.some((s) => xml.startsWith(s))) return xml;
    }
  }

  write(data: string): void {
    if (!this.closed) this.socket.write(data);
  }

  close(): void {
    this.write('</stream:stream>');
    this.socket.end();
  }
}

/** Registers a user by in-band registration (XEP-0077). */
export async function register(port: number, user: string): Promise<void> {
  const c = new Connection(port);
  try {
    c.write(STREAM_HEADER);
    await c.until('<stream:features');
    c.write(
      `<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${user}</username><password>${PASSWORD}</password></query></iq>`,
    );
    const answer = await c.until('<iq');
    if (!answer.includes("type='result'") && !answer.includes('type="result"') && !answer.includes('conflict')) {
      throw new Error(`registering ${user}: ${answer}`);
    }
  } finally {
    c.close();
  }
}

export interface XmppEvents {
  /** A message arrived (its id). */
  delivered(id: string): void;
  /** The server bounced a stanza (its error condition). */
  failed(condition: string): void;
}

/**
 * A signed-in resource with stream management on: `send` answers through `answer` when the
 * server's <a h='…'/> covers the message; inbound stanzas are counted and acked when asked.
 */
export class XmppClient {
  private acked = 0;
  private handled = 0;
  private readonly answers: ((failure: string | undefined) => void)[] = [];
  private readonly c: Connection;

  private constructor(c: Connection, events: XmppEvents) {
    this.c = c;
    c.onStanza = (xml) => {
      if (xml.startsWith('<a ')) {
        const h = Number(attribute(xml, 'h'));
        for (; this.acked < h; this.acked++) this.answers.shift()?.(undefined);
        return;
      }
      if (xml.startsWith('<r ') || xml.startsWith('<r/')) {
        this.c.write(`<a xmlns='urn:xmpp:sm:3' h='${this.handled}'/>`);
        return;
      }
      if (xml.startsWith('<message') || xml.startsWith('<presence') || xml.startsWith('<iq')) {
        this.handled++;
        if (xml.startsWith('<message')) {
          if (attribute(xml, 'type') === 'error') events.failed(/<error[^>]*>\s*<([\w-]+)/.exec(xml)?.[1] ?? 'error');
          else {
            const id = attribute(xml, 'id');
            if (id) events.delivered(id);
          }
        }
        return;
      }
      if (xml === '</stream:stream>' || xml.startsWith('<stream:error')) {
        for (const answer of this.answers.splice(0)) answer('STREAM_CLOSED');
      }
    };
  }

  /** Signs in as user/resource; a recipient announces itself available with priority 1. */
  static async connect(
    port: number,
    user: string,
    resource: string,
    available: boolean,
    events: XmppEvents,
  ): Promise<XmppClient> {
    const c = new Connection(port);
    try {
      c.write(STREAM_HEADER);
      await c.until('<stream:features');
      const plain = Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64');
      c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`);
      const auth = await c.until('<success', '<failure');
      if (auth.startsWith('<failure')) throw new Error(`XMPP auth failed for ${user}: ${auth}`);
      c.write(STREAM_HEADER);
      await c.until('<stream:features');
      c.write(
        `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`,
      );
      await c.until('<iq');
      c.write("<enable xmlns='urn:xmpp:sm:3'/>");
      const enabled = await c.until('<enabled', '<failed');
      if (enabled.startsWith('<failed')) throw new Error(`XMPP stream management refused: ${enabled}`);
      const client = new XmppClient(c, events);
      if (available) {
        c.write('<presence><priority>1</priority></presence>');
        client.answers.push(() => {}); // the server's count (h) includes it
      }
      return client;
    } catch (error) {
      c.socket.destroy();
      throw error;
    }
  }

  send(toUser: string, id: string, body: string, answer: (failure: string | undefined) => void): void {
    this.answers.push(answer);
    this.c.write(
      `<message to='${toUser}@${XMPP_DOMAIN}' type='chat' id='${id}'><body>${body}</body></message><r xmlns='urn:xmpp:sm:3'/>`,
    );
  }

  close(): void {
    this.c.close();
  }
}

// ---- the ejabberd process ----

export interface EjabberdOptions {
  /** Archive every message (mod_mam) in this PostgreSQL database. */
  mam?: { host: string; port: number; database: string; user: string };
}

function config(port: number, options: EjabberdOptions): string {
  const sql = options.mam
    ? `sql_type: pgsql
sql_server: "${options.mam.host}"
sql_port: ${options.mam.port}
sql_database: "${options.mam.database}"
sql_username: "${options.mam.user}"
sql_password: ""
`
    : '';
  const mam = options.mam ? '  mod_mam:\n    db_type: sql\n    default: always\n    assume_mam_usage: true\n' : '';
  return `hosts: ["${XMPP_DOMAIN}"]
loglevel: warning
log_rotate_count: 0
hide_sensitive_log_data: true
cache_size: 10000
registration_timeout: infinity
auth_method: [internal]
auth_password_format: plain
${sql}listen:
  - port: ${port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    shaper: none
    access: c2s
    max_stanza_size: 1048576
    backlog: 4096
    starttls_required: false
shaper: {}
shaper_rules:
  max_user_sessions: 10
  max_user_offline_messages: 10000
  c2s_shaper: none
acl:
  loopback:
    ip: ["127.0.0.0/8"]
access_rules:
  c2s:
    allow: all
  register:
    allow: all
modules:
  mod_register:
    access: register
    ip_access: all
    welcome_message: {subject: "", body: ""}
  mod_stream_mgmt:
    resend_on_timeout: if_offline
    max_ack_queue: 10000
${mam}`;
}

export interface EjabberdProcess {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts ejabberd (the Erlang VM itself, not the system service) on `spool`, with a high
 * open-file limit, no Erlang distribution, and a config, log and port of its own under `dir`.
 */
export async function startEjabberd(dir: string, spool: string, options: EjabberdOptions): Promise<EjabberdProcess> {
  const port = await freePort();
  const configPath = join(dir, `ejabberd-${port}.yml`);
  writeFileSync(configPath, config(port, options));
  // `exec` keeps the pid: sh → erl (a script that execs) → erlexec → beam.smp.
  const child: ChildProcess = spawn(
    'sh',
    [
      '-c',
      `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec erl -noinput -noshell +K true +P 250000 -mnesia dir '"${spool}"' -s ejabberd`,
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        ERL_LIBS: EJABBERD_LIBS,
        ERL_MAX_PORTS: '65536',
        EJABBERD_CONFIG_PATH: configPath,
        EJABBERD_LOG_PATH: join(dir, 'ejabberd.log'),
        ERL_CRASH_DUMP: '/dev/null',
      },
      stdio: 'ignore', // its log is in dir/ejabberd.log
    },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`ejabberd exited; see ${join(dir, 'ejabberd.log')}`);
    if (i > 600) throw new Error('ejabberd did not come up in 60 s');
    const ready = await new Promise<boolean>((resolve) => {
      const c = new Connection(port);
      c.write(STREAM_HEADER);
      c.until('<stream:features').then(
        () => {
          c.close();
          resolve(true);
        },
        () => resolve(false),
      );
    });
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM'); // the Erlang VM stops cleanly on SIGTERM (init:stop)
        await exited;
      }
    },
  };
}

/**
 * An ejabberd spool with `users` registered (by in-band registration), kept as a snapshot that
 * each run starts from a copy of.
 */
export async function prepareSpool(users: string[]): Promise<{ dir: string; snapshot: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-ejabberd-'));
  const snapshot = join(dir, 'snapshot');
  mkdirSync(snapshot);
  const server = await startEjabberd(dir, snapshot, {});
  try {
    for (let i = 0; i < users.length; i += 50) {
      await Promise.all(users.slice(i, i + 50).map((u) => register(server.port, u)));
    }
  } finally {
    await server.stop();
  }
  return { dir, snapshot, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh copy of the spool snapshot for one run. */
export function restoreSpool(dir: string, snapshot: string): string {
  const spool = join(dir, `spool-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  cpSync(snapshot, spool, { recursive: true });
  return spool;
}

/** ejabberd's PostgreSQL schema (for mod_mam's archive), as Debian ships it. */
export const ejabberdSchema = (): string => readFileSync(EJABBERD_SQL, 'utf8');

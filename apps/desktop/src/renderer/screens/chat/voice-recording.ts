import type { VoiceMetadata } from '@parley/shared';

/** Preferred first; both are Opus, which every Parley build plays. */
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus'];
/** The level is sampled this often while recording (20 values a second). */
const SAMPLE_MS = 50;
/** The most waveform values a voice message carries. */
export const WAVEFORM_VALUES = 256;

export type RecordingProblem = 'permissionDenied' | 'noMicrophone' | 'microphoneBusy' | 'unsupported' | 'failed';

/** Why the microphone could not be had, as a key of the `voice` strings. */
export function recordingProblem(error: unknown): RecordingProblem {
  const name = (error as { name?: unknown } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'permissionDenied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'noMicrophone';
    case 'NotReadableError':
    case 'AbortError':
      return 'microphoneBusy';
    case 'NotSupportedError':
      return 'unsupported';
    default:
      return 'failed';
  }
}

/** Each of `count` equal buckets of `levels` as its loudest value (buckets repeat when there are fewer levels). */
export function bucketPeaks(levels: readonly number[], count: number): number[] {
  if (levels.length === 0) return Array.from({ length: count }, () => 0);
  return Array.from({ length: count }, (_, i) => {
    const from = Math.floor((i * levels.length) / count);
    const to = Math.max(from + 1, Math.floor(((i + 1) * levels.length) / count));
    let peak = 0;
    for (let j = from; j < to && j < levels.length; j++) peak = Math.max(peak, levels[j] ?? 0);
    return Math.round(Math.min(255, Math.max(0, peak)));
  });
}

/** The waveform a voice message carries: at most `count` peak levels 0..255. */
export function downsample(levels: readonly number[], count = WAVEFORM_VALUES): number[] {
  return bucketPeaks(levels, Math.min(count, levels.length));
}

export interface RecordedVoice {
  blob: Blob;
  /** The recorder's type without parameters ("audio/webm"). */
  contentType: string;
  extension: string;
  voice: VoiceMetadata;
}

/**
 * One recording from the microphone: MediaRecorder for the audio, an AnalyserNode for the levels
 * the waveform is drawn from. `finish` or `cancel` ends it and releases the microphone.
 */
export class VoiceRecording {
  /** Levels 0..255, one per SAMPLE_MS. */
  readonly levels: number[] = [];
  readonly startedAt = performance.now();
  private readonly chunks: Blob[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private ended = false;

  private constructor(
    private readonly stream: MediaStream,
    private readonly recorder: MediaRecorder,
    private readonly context: AudioContext,
    private readonly mimeType: string,
  ) {
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    this.timer = setInterval(() => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
      // Square root: speech is mostly quiet, and this keeps it visible in the bars.
      this.levels.push(Math.round(255 * Math.sqrt(Math.min(1, peak / 128))));
    }, SAMPLE_MS);
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) this.chunks.push(event.data);
    });
    recorder.start(1000);
  }

  /** Asks for the microphone and starts recording; rejects with the reason it cannot. */
  static async start(): Promise<VoiceRecording> {
    if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia)
      throw Object.assign(new Error('MediaRecorder is not available'), { name: 'NotSupportedError' });
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    if (!mimeType) throw Object.assign(new Error('No Opus recording'), { name: 'NotSupportedError' });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    let context: AudioContext | null = null;
    try {
      context = new AudioContext();
      void context.resume().catch(() => {}); // the levels only; never played out
      const recorder = new MediaRecorder(stream, { mimeType });
      return new VoiceRecording(stream, recorder, context, mimeType);
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      void context?.close().catch(() => {});
      throw error;
    }
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** Stops and gives the recording with its duration and waveform. */
  finish(): Promise<RecordedVoice> {
    const durationMs = Math.round(this.elapsedMs());
    return new Promise((resolve, reject) => {
      this.recorder.addEventListener(
        'stop',
        () => {
          const type = (this.recorder.mimeType || this.mimeType).split(';')[0]?.trim() || 'audio/webm';
          const blob = new Blob(this.chunks, { type });
          if (blob.size === 0) reject(Object.assign(new Error('Nothing recorded'), { name: 'EmptyRecording' }));
          else
            resolve({
              blob,
              contentType: type,
              extension: type.includes('ogg') ? 'ogg' : 'webm',
              voice: { durationMs, waveform: downsample(this.levels) },
            });
        },
        { once: true },
      );
      this.end();
    });
  }

  /** Stops and throws the recording away. */
  cancel(): void {
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    for (const track of this.stream.getTracks()) track.stop();
    void this.context.close().catch(() => {});
  }
}

/** "2026-12-01 21-04-05": for a voice message's file name, sorting by time and valid on every system. */
export function fileStamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}-${p(date.getMinutes())}-${p(date.getSeconds())}`;
}

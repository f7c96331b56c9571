export type CallQuality = 'good' | 'fair' | 'poor';

/** Quality from the selected candidate pair's round-trip time and the inbound packet loss. */
export async function measureQuality(pc: RTCPeerConnection): Promise<CallQuality | null> {
  const stats = await pc.getStats();
  let rtt: number | null = null;
  let lost = 0;
  let received = 0;
  stats.forEach((report: RTCStats & Record<string, unknown>) => {
    if (report.type === 'candidate-pair' && report.nominated && typeof report.currentRoundTripTime === 'number') {
      rtt = report.currentRoundTripTime;
    }
    if (report.type === 'inbound-rtp') {
      lost += Number(report.packetsLost ?? 0);
      received += Number(report.packetsReceived ?? 0);
    }
  });
  if (rtt === null) return null;
  const loss = received + lost > 0 ? lost / (received + lost) : 0;
  if (rtt < 0.15 && loss < 0.02) return 'good';
  if (rtt < 0.4 && loss < 0.08) return 'fair';
  return 'poor';
}

using Usher.ControlPlane.Deployments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Shadow;

/// <summary>A shadow rollout's live state: what is mirrored where, the queue's counts, the comparison and the gate's verdict.</summary>
/// <param name="Primary">The version that answers (<c>fraud:1</c>).</param>
/// <param name="Target">The shadow and how much it gets.</param>
/// <param name="Counts">Mirrored, failed, dropped and queued copies.</param>
/// <param name="Report">The comparison so far.</param>
/// <param name="Gate">The spec's gate, or null.</param>
/// <param name="GateVerdict">The gate's verdict now, or null without a gate.</param>
internal sealed record ShadowStatus(string Primary, ShadowTarget Target, ShadowCounts Counts, ShadowReport Report, ShadowGateSpec? Gate, (bool Passed, string Detail)? GateVerdict);

using Usher.Core.Inference;

namespace Usher.Core.Routing;

/// <summary>One mirrored request: what the primary answered and what the shadow answered to the same input.</summary>
/// <param name="Endpoint">The endpoint called.</param>
/// <param name="Primary">The variant that answered the client (<c>model:version</c>).</param>
/// <param name="Shadow">The shadow it was mirrored to.</param>
/// <param name="At">When the shadow finished (the injected clock).</param>
/// <param name="Request">A copy of the request (owned, safe to keep).</param>
/// <param name="PrimaryResponse">The primary's answer.</param>
/// <param name="PrimaryLatencyMs">The primary's server-side latency, in milliseconds.</param>
/// <param name="ShadowResponse">The shadow's answer; null when it failed.</param>
/// <param name="ShadowError">The shadow's error; null when it answered.</param>
/// <param name="ShadowLatencyMs">The shadow's latency (from leaving the queue to its answer), in milliseconds.</param>
internal sealed record ShadowPair(
    string Endpoint,
    string Primary,
    ShadowTarget Shadow,
    DateTimeOffset At,
    InferenceRequest Request,
    InferenceResponse PrimaryResponse,
    double PrimaryLatencyMs,
    InferenceResponse? ShadowResponse,
    InferenceError? ShadowError,
    double ShadowLatencyMs);

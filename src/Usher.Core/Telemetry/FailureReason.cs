namespace Usher.Core.Telemetry;

/// <summary>Why a request failed, as the <c>reason</c> label of the failure counter.</summary>
internal enum FailureReason
{
    /// <summary>The request did not fit the model (400).</summary>
    Invalid,
    /// <summary>Turned away by backpressure: queue full, memory bound, or a latency target it cannot meet (503).</summary>
    Rejected,
    /// <summary>Its queue timeout passed (503).</summary>
    Timeout,
    /// <summary>The client went away.</summary>
    Canceled,
    /// <summary>The backend failed while running its batch (500).</summary>
    Backend,
}

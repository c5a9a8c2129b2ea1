using Usher.Gateway.Routing;

namespace Usher.Gateway.Retries;

/// <summary>The gateway's state of one request across its attempts (an HttpContext feature).</summary>
internal sealed class GatewayRequest(RequestTarget target)
{
    public RequestTarget Target { get; } = target;

    /// <summary>The replicas this request was sent to, in order; a retry excludes them.</summary>
    public List<string> Tried { get; } = [];

    /// <summary>Whether the current attempt may still be retried (a retryable request's first attempt).</summary>
    public bool MayRetry { get; set; }

    /// <summary>Set when the current attempt's answer was a 503 held back (its body not sent) to retry it.</summary>
    public bool HeldBack { get; set; }

    /// <summary>Whether the current attempt has been counted (<see cref="Telemetry.AttemptRecorder"/>).</summary>
    public bool AttemptRecorded { get; set; }

    /// <summary>The preferred region the current attempt left (a failover), or null.</summary>
    public string? FailoverFrom { get; set; }
}

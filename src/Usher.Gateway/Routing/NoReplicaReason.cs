namespace Usher.Gateway.Routing;

/// <summary>Why no replica fits a request (the <c>reason</c> label of <c>usher_gateway_unroutable</c>).</summary>
internal enum NoReplicaReason
{
    /// <summary>The registry lists no replica up.</summary>
    NoneUp,

    /// <summary>No replica up has the model (or the pinned version) loaded.</summary>
    NotLoaded,

    /// <summary>Replicas have it loaded, none has it ready.</summary>
    NotReady,

    /// <summary>Replicas have it ready, none has the hardware asked for (<c>x-usher-hardware</c>).</summary>
    NoHardware,

    /// <summary>Replicas have it ready, none has the hardware the model requires (<c>hardware:</c> in its config).</summary>
    HardwareRequired,

    /// <summary>The hardware asked for (<c>x-usher-hardware</c>) differs from what the model requires, on every replica that has it ready.</summary>
    HardwareConflict,

    /// <summary>Replicas fit, none is healthy (health checks, or this request failed there already) in any region.</summary>
    NotHealthy,
}

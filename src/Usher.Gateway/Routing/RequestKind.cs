namespace Usher.Gateway.Routing;

/// <summary>What a request does, which decides whether the gateway may send it twice.</summary>
internal enum RequestKind
{
    /// <summary>An inference (REST <c>.../infer</c>, gRPC <c>ModelInfer</c>): retried on replicas not yet tried (<see cref="Retries.RetryMiddleware"/>).</summary>
    Inference,

    /// <summary>A read (REST GET or HEAD, gRPC health, metadata, statistics, index): retried as an inference is.</summary>
    Read,

    /// <summary>Anything else (the admin API, repository load and unload, streams): never retried.</summary>
    Control,
}

namespace Usher.Server.Access;

/// <summary>Why a request was refused before it reached a model.</summary>
internal enum AccessDenialKind
{
    /// <summary>No API key, or one the server does not know: 401, gRPC UNAUTHENTICATED.</summary>
    Unauthenticated,

    /// <summary>A rate limit has no token left: 429 with Retry-After, gRPC RESOURCE_EXHAUSTED.</summary>
    RateLimited,
}

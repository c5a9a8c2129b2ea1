namespace Usher.Server.Access;

/// <summary>A refusal as a value, mapped to HTTP and gRPC in one place each (<c>HttpErrors</c>, <c>GrpcErrors</c>).</summary>
/// <param name="Kind">Why.</param>
/// <param name="Message">What happened and what to do; never a secret.</param>
/// <param name="RetryAfterSeconds">For a rate limit, whole seconds until a token is back (at least 1).</param>
internal sealed record AccessDenial(AccessDenialKind Kind, string Message, int RetryAfterSeconds = 0);

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Frontends.Grpc;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Access;

/// <summary>
/// Puts <see cref="ApiAccess"/> in front of the endpoints that carry <see cref="ApiAccessAttribute"/>:
/// a request without a known key is refused before its body is read (REST 401, gRPC UNAUTHENTICATED),
/// and a REST request over a rate limit gets 429 with <c>Retry-After</c>. gRPC requests name their
/// model in the message, so their limits are taken by <see cref="RateLimitInterceptor"/> once it is
/// read. Not added at all when neither keys nor limits are configured.
/// </summary>
internal static class ApiAccessMiddleware
{
    /// <summary>Marks the endpoints built by <paramref name="builder"/> as inference or metadata (an API key when keys are on; rate limits).</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(ApiAccessAttribute.Instance);

    /// <summary>Adds the check; it must run after routing has chosen the endpoint.</summary>
    public static void UseApiAccess(this IApplicationBuilder app)
    {
        var access = app.ApplicationServices.GetRequiredService<ApiAccess>();
        if (!access.Enabled)
        {
            return;
        }

        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ApiAccessAttribute>() is null)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
            var denied = access.Authenticate(context);
            if (denied is null && !grpc && access.Limits is { } limits)
            {
                denied = limits.TryAcquire(ApiAccess.CallerOf(context), (context.Request.RouteValues["model"] ?? context.Request.RouteValues["endpoint"]) as string);
            }

            if (denied is null)
            {
                await next(context).ConfigureAwait(false);
            }
            else if (grpc)
            {
                GrpcErrors.Refuse(context, denied);
            }
            else
            {
                await HttpErrors.WriteAsync(context, denied).ConfigureAwait(false);
            }
        });
    }
}

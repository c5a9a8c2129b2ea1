using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;
using Usher.Core.Repository;

namespace Usher.Server.Frontends.Http;

/// <summary>Reads the model name and the optional version from a route.</summary>
internal static class RouteValues
{
    public static string Model(HttpContext context) => (string)context.Request.RouteValues["model"]!;

    /// <summary>The pinned version (null when the route has none), or a 404 error for a version that cannot exist.</summary>
    public static InferenceResult<long?> Version(HttpContext context)
    {
        if (context.Request.RouteValues["version"] is not string text)
        {
            return InferenceResult<long?>.Success(null);
        }

        return RepositoryScanner.TryParseVersion(text, out var version)
            ? InferenceResult<long?>.Success(version)
            : InferenceError.NotFound($"model '{Model(context)}' has no version '{text}': versions are positive integers");
    }
}

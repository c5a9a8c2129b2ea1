using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>Reads the model name and the optional version from a route.</summary>
internal static class RouteValues
{
    public static string Model(HttpContext context) => (string)context.Request.RouteValues["model"]!;

    /// <summary>The pinned version (null when the route has none), or a 404 error for a version that cannot exist.</summary>
    public static InferenceResult<long?> Version(HttpContext context)
        => ModelLookup.ParseVersion(Model(context), context.Request.RouteValues["version"] as string);
}

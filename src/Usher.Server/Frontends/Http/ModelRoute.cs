using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;
using Usher.Core.Repository;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Resolves <c>/v2/models/{m}[/versions/{v}]</c> for the metadata and readiness routes (see <see cref="ModelLookup"/>).
/// </summary>
internal static class ModelRoute
{
    public static InferenceResult<(ModelEntry Entry, VersionSlot? Slot)> Resolve(HttpContext context, ModelManager models)
    {
        var version = RouteValues.Version(context);
        return version.IsSuccess ? ModelLookup.Resolve(models, RouteValues.Model(context), version.Value) : version.Error;
    }
}

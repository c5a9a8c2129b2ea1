using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;
using Usher.Core.Repository;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Resolves <c>/v2/models/{m}[/versions/{v}]</c> for the metadata and readiness routes: the model's
/// entry and the slot asked for (the newest ready version, else the newest, when none is pinned).
/// </summary>
internal static class ModelRoute
{
    public static InferenceResult<(ModelEntry Entry, VersionSlot? Slot)> Resolve(HttpContext context, ModelManager models)
    {
        var name = RouteValues.Model(context);
        var version = RouteValues.Version(context);
        if (!version.IsSuccess)
        {
            return version.Error;
        }

        var entry = models.Find(name);
        if (entry is null)
        {
            return InferenceError.NotFound($"unknown model '{name}'");
        }

        var slot = version.Value is long v ? entry.Find(v) : entry.NewestReady ?? entry.Versions.LastOrDefault();
        if (slot is null && version.Value is long missing)
        {
            return InferenceError.NotFound($"model '{name}' has no version {missing} (versions: {string.Join(", ", entry.Versions.Select(s => s.Version))})");
        }

        return InferenceResult<(ModelEntry, VersionSlot?)>.Success((entry, slot));
    }
}

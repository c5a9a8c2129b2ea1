using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Repository;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// <c>GET /v2/models/{m}/versions/{v}/artifact</c>: the model file of a ready version, for edge
/// devices (<c>usher pull</c>). The SHA-256 of the file is in <see cref="Sha256Header"/> and the
/// ETag; HTTP Range (with If-Range on the ETag) resumes an interrupted download.
/// </summary>
internal static class ArtifactEndpoint
{
    /// <summary>The response header with the file's lowercase hex SHA-256.</summary>
    public const string Sha256Header = "x-usher-sha256";

    public static async Task GetAsync(HttpContext context, ArtifactDigests digests)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var resolved = ModelRoute.Resolve(context, models);
        if (!resolved.IsSuccess)
        {
            await HttpErrors.WriteAsync(context, resolved.Error).ConfigureAwait(false);
            return;
        }

        var (entry, slot) = resolved.Value;
        if (slot is not { State: ModelState.Ready, Loaded: not null })
        {
            // Only a version that loaded (and warmed up) here is handed to a device.
            await HttpErrors.WriteAsync(context, InferenceError.Unavailable(ModelLookup.NotReadyReason(entry, slot))).ConfigureAwait(false);
            return;
        }

        var fileName = context.RequestServices.GetRequiredService<IModelBackend>().ModelFileName;
        var file = new FileInfo(Path.Combine(models.RepositoryPath, entry.Name, slot.Version.ToString(CultureInfo.InvariantCulture), fileName));
        if (!file.Exists)
        {
            await HttpErrors.WriteAsync(context, InferenceError.NotFound(
                $"model '{entry.Name}' version {slot.Version}: its file {fileName} is no longer in the repository")).ConfigureAwait(false);
            return;
        }

        var sha256 = await digests.GetAsync(file, context.RequestAborted).ConfigureAwait(false);
        context.Response.Headers[Sha256Header] = sha256;
        var result = TypedResults.PhysicalFile(
            file.FullName,
            "application/octet-stream",
            lastModified: file.LastWriteTimeUtc,
            entityTag: new EntityTagHeaderValue($"\"{sha256}\""),
            enableRangeProcessing: true);
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }
}

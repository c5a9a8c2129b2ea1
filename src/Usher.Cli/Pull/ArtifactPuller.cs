using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Usher.Cli.Pull;

/// <summary>
/// Downloads a model version's artifact (<c>GET /v2/models/{m}/versions/{v}/artifact</c>) into
/// <c>DIR/&lt;model&gt;/&lt;version&gt;/model.onnx</c>, so that an engine watching DIR only ever sees a
/// complete, verified file: the bytes go to a hidden partial file beside it (the repository scanner
/// skips dot entries), are flushed to disk, checked against the server's SHA-256, and renamed into
/// place. An interrupted download resumes with an HTTP Range, guarded by If-Range on the ETag, so
/// that a file that changed on the server in between starts over instead of being spliced. The
/// route needs the admin credential, so the token goes with the request as with the admin commands.
/// </summary>
internal sealed class ArtifactPuller(HttpClient http, Uri server, string? token)
{
    /// <summary>The response header with the artifact's SHA-256 (the server's <c>ArtifactEndpoint</c>).</summary>
    public const string Sha256Header = "x-usher-sha256";

    private const string ModelFileName = "model.onnx";

    public async Task<PullResult> PullAsync(ServedVersion served, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(served);
        var version = served.Version.ToString(CultureInfo.InvariantCulture);
        var modelFolder = Path.Combine(folder, served.Model);
        var versionFolder = Path.Combine(modelFolder, version);
        var target = Path.Combine(versionFolder, ModelFileName);
        var partial = Path.Combine(modelFolder, $".{version}.{ModelFileName}.partial");
        var etagFile = partial + ".etag";
        Directory.CreateDirectory(modelFolder);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri(), $"v2/models/{Uri.EscapeDataString(served.Model)}/versions/{version}/artifact"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var localSha = File.Exists(target) ? await HashAsync(target, cancellationToken).ConfigureAwait(false) : null;
        if (localSha is not null)
        {
            request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{localSha}\""));
        }

        var offset = File.Exists(partial) && File.Exists(etagFile) ? new FileInfo(partial).Length : 0;
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
            request.Headers.IfRange = new RangeConditionHeaderValue(EntityTagHeaderValue.Parse(await File.ReadAllTextAsync(etagFile, cancellationToken).ConfigureAwait(false)));
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            return PullResult.Failed(target, $"cannot reach {server.OriginalString}: {ex.Message}; the files in {folder} are unchanged");
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new PullResult(target, localSha, 0, 0, UpToDate: true, null);
            }

            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                return PullResult.Failed(target, $"the server answered HTTP {(int)response.StatusCode} for {request.RequestUri}: {body.Trim()}");
            }

            if (!response.Headers.TryGetValues(Sha256Header, out var values) || values.FirstOrDefault() is not { Length: 64 } expected)
            {
                return PullResult.Failed(target, $"the answer has no {Sha256Header} header; is {server.OriginalString} an Usher server with the artifact route?");
            }

            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (resumed && response.Content.Headers.ContentRange?.From != offset)
            {
                return PullResult.Failed(target, $"the server resumed at byte {response.Content.Headers.ContentRange?.From}, not {offset}; delete {partial} and pull again");
            }

            offset = resumed ? offset : 0;

            // The ETag goes down before the bytes, so that whatever arrives can be resumed.
            await File.WriteAllTextAsync(etagFile, response.Headers.ETag?.ToString() ?? $"\"{expected}\"", cancellationToken).ConfigureAwait(false);
            long received;
            try
            {
                received = await DownloadAsync(response.Content, partial, append: resumed, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                var kept = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                return PullResult.Failed(target, $"the download was interrupted after {kept} bytes ({ex.Message}); run `usher pull` again to resume");
            }

            var actual = await HashAsync(partial, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(partial);
                File.Delete(etagFile);
                return PullResult.Failed(target, $"checksum mismatch for {served}: the server announced SHA-256 {expected}, the download hashes to {actual}; it was discarded and {target} is unchanged; run `usher pull` again");
            }

            Publish(partial, modelFolder, versionFolder, target, version);
            File.Delete(etagFile);
            return new PullResult(target, actual, received, offset, UpToDate: false, null);
        }
    }

    private static async Task<long> DownloadAsync(HttpContent content, string partial, bool append, CancellationToken cancellationToken)
    {
        var body = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var file = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var start = file.Position;
                try
                {
                    await body.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // What arrived stays on disk for the next attempt, interrupted or not.
                    await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }

                return file.Position - start;
            }
        }
    }

    // A new version appears as a whole folder (renamed from a hidden staging folder); a changed file
    // of a known version replaces the old one by rename. Either way a reader sees the old or the new.
    private static void Publish(string partial, string modelFolder, string versionFolder, string target, string version)
    {
        if (Directory.Exists(versionFolder))
        {
            File.Move(partial, target, overwrite: true);
            return;
        }

        var staging = Path.Combine(modelFolder, $".{version}.staging");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        Directory.CreateDirectory(staging);
        File.Move(partial, Path.Combine(staging, ModelFileName));
        Directory.Move(staging, versionFolder);
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    private Uri BaseUri()
    {
        var text = server.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }
}

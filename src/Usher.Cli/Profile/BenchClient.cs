using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Usher.Cli.Commands;

namespace Usher.Cli.Profile;

/// <summary>
/// Loads a point's server with <c>usher bench</c> in a process of its own (this same binary), so
/// that the server's CPU is this process's alone; pinned to <see cref="ClientPlacement.OtherCores"/>
/// when there are any.
/// </summary>
internal static class BenchClient
{
    /// <summary>Runs the bench and reads its result; null with the problem when it fails.</summary>
    public static async Task<ClientRun?> RunAsync(ProfileSettings settings, LoadedPoint point, int concurrency, string? clientCores, List<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(problems);
        var (host, prefix) = Self();
        List<string> args =
        [
            .. prefix, "bench", settings.Model, "--server", point.Url.ToString(), "--protocol", settings.Protocol,
            "--concurrency", N(concurrency), "--warmup", Ms(settings.Warmup), "--duration", Ms(settings.Duration),
            "--seed", N(settings.Seed), "--output", "json",
        ];
        if (point.GrpcUrl is { } grpc)
        {
            args.AddRange(["--grpc-server", grpc.ToString()]);
        }

        var start = clientCores is not null && ClientPlacement.FindTaskset() is { } taskset
            ? new ProcessStartInfo(taskset, ["-c", clientCores, host, .. args])
            : new ProcessStartInfo(host, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        // Not ReadToEndAsync: it would hold two of the pool's threads, the server's, for the whole run (ChildOutput).
        var stdout = ChildOutput.ReadToEndAsync(process.StandardOutput);
        var stderr = ChildOutput.ReadToEndAsync(process.StandardError);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout.ConfigureAwait(false);
        var error = await stderr.ConfigureAwait(false);
        // Exit 1 with a report: nothing was answered inside the window (every request failed, or
        // none finished in it on a starved machine). The point is measured as such, never recommended.
        if (process.ExitCode is 0 or ExitCodes.Failure)
        {
            try
            {
                return Read(output);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
            {
                if (process.ExitCode == 0)
                {
                    problems.Add($"{point.Config.Id}: usher bench's output is not its JSON report ({ex.Message})");
                    return null;
                }
            }
        }

        problems.Add($"{point.Config.Id}: usher bench exited {N(process.ExitCode)}: {(error.Trim().Length > 0 ? error.Trim() : output.Trim())}");
        return null;
    }

    /// <summary>The first run of an <c>usher bench --output json</c> report.</summary>
    public static ClientRun Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var run = document.RootElement.GetProperty("runs")[0];
        var latency = run.GetProperty("latency_ms");
        return new ClientRun(
            Number(run.GetProperty("throughput")),
            Number(latency.GetProperty("p50")),
            Number(latency.GetProperty("p99")),
            run.GetProperty("errors").GetInt64(),
            run.GetProperty("answered").GetInt64(),
            Number(run.GetProperty("client_cpu_us_per_request")));
    }

    /// <summary>How to start this binary again: the apphost, or <c>dotnet usher.dll</c>.</summary>
    private static (string Host, string[] Prefix) Self()
    {
        var path = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(BenchClient).Assembly.Location;
        return Path.GetFileNameWithoutExtension(path) == Path.GetFileNameWithoutExtension(dll) ? (path, []) : (path.EndsWith("dotnet", StringComparison.Ordinal) ? path : "dotnet", [dll]);
    }

    // NaN (nothing answered) is written as the string "NaN".
    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble();

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan span) => span == TimeSpan.Zero ? "0" : ((long)Math.Round(span.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Usher.Gateway.Tests.Functional;

/// <summary>
/// <c>usher serve</c> as a child process (<c>dotnet usher.dll</c>, the build output beside the tests),
/// REST only, on a free loopback port: a replica that a test can kill with SIGKILL.
/// </summary>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(120);

    private readonly Process _process;
    private readonly ChannelReader<string> _lines;
    private readonly List<string> _output = [];

    private ServeProcess(Process process, string httpAddress, ChannelReader<string> lines)
    {
        _process = process;
        HttpAddress = httpAddress;
        _lines = lines;
    }

    public string HttpAddress { get; }

    /// <summary>What it wrote to standard output so far, line by line, from its start.</summary>
    public IReadOnlyList<string> Output()
    {
        while (_lines.TryRead(out var line))
        {
            _output.Add(line);
        }

        return _output;
    }

    /// <summary>
    /// Starts <c>usher serve</c> on <paramref name="repository"/> and waits until it reports ready: with
    /// its state in <paramref name="dataDir"/>, or with <paramref name="state"/> (a <c>postgresql://</c>
    /// URI) a replica of the shared state, which registers itself in the registry the gateway reads,
    /// with <paramref name="labels"/> (<c>--label</c>) when given.
    /// </summary>
    public static async Task<ServeProcess> StartAsync(string repository, string dataDir, string? state = null, string? labels = null)
    {
        var host = Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        string[] where = state is null ? ["--data-dir", dataDir] : ["--state", state];
        string[] labelled = labels is null ? [] : ["--label", labels];
        var start = new ProcessStartInfo(host, [Path.Combine(AppContext.BaseDirectory, "usher.dll"), "serve", "--model-repository", repository, "--http-port", "0", "--grpc-port", "-1", .. where, .. labelled])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("USHER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["USHER_SERVER__HOST"] = "127.0.0.1";
        var lines = Channel.CreateUnbounded<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                lines.Writer.TryComplete();
            }
            else
            {
                lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(StartDeadline);
        string? address = null;
        var before = new List<string>();
        await foreach (var line in lines.Reader.ReadAllAsync(deadline.Token))
        {
            before.Add(line);
            if (ListeningLine().Match(line) is { Success: true } match)
            {
                address = match.Groups["address"].Value;
                break;
            }
        }

        var started = new ServeProcess(process, address ?? throw new InvalidOperationException("usher serve exited before it listened"), lines.Reader);
        started._output.AddRange(before);
        using var client = new HttpClient { BaseAddress = new Uri(started.HttpAddress) };
        while (true)
        {
            try
            {
                using var ready = await client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative), deadline.Token);
                if (ready.IsSuccessStatusCode)
                {
                    return started;
                }
            }
            catch (HttpRequestException)
            {
                // Not answering yet.
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    /// <summary>SIGKILL: no code of the replica runs after it, its sockets are reset.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (?<address>http://\S+)")]
    private static partial Regex ListeningLine();
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace Usher.Cli.Tests;

/// <summary>
/// The real <c>usher</c> program run as a child process (<c>dotnet usher.dll ...</c>, the build output
/// copied beside the tests), with its output captured line by line.
/// </summary>
internal sealed class UsherProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _stdoutLines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private UsherProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Everything written to stdout so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Everything written to stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Stdout and stderr together, for assertion messages.</summary>
    public string Transcript => $"--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";

    /// <summary>
    /// Starts <c>usher</c> with <paramref name="args"/> in <paramref name="workingDirectory"/>. The
    /// child gets no <c>USHER_*</c> variables from the test's environment, only <paramref name="environment"/>.
    /// </summary>
    public static UsherProcess Start(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "usher.dll"), .. args])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("USHER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var started = new UsherProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                started._stdoutLines.Writer.TryComplete();
                return;
            }

            lock (started._stdout)
            {
                started._stdout.AppendLine(e.Data);
            }

            started._stdoutLines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (started._stderr)
                {
                    started._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Runs <c>usher</c> to completion; fails the test if it runs past <paramref name="timeout"/>.</summary>
    public static Task<UsherProcess> RunAsync(string workingDirectory, IEnumerable<string> args, TimeSpan timeout)
        => RunAsync(workingDirectory, args, environment: null, timeout);

    /// <summary>Runs <c>usher</c> to completion with <paramref name="environment"/>; fails the test if it runs past <paramref name="timeout"/>.</summary>
    public static async Task<UsherProcess> RunAsync(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var process = Start(workingDirectory, args, environment);
        await process.WaitForExitAsync(timeout);
        return process;
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"usher did not exit within {timeout.TotalSeconds} s\n{Transcript}");
        }

        return _process.ExitCode;
    }

    /// <summary>The first stdout line (from now on) that matches <paramref name="pattern"/>; fails after <paramref name="timeout"/>.</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in _stdoutLines.Reader.ReadAllAsync(cts.Token))
            {
                var match = pattern.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no stdout line matched /{pattern}/ within {timeout.TotalSeconds} s\n{Transcript}");
        }

        Assert.Fail($"usher closed stdout before a line matched /{pattern}/\n{Transcript}");
        return Match.Empty;
    }

    /// <summary>Sends SIGTERM, as a service manager or a container runtime stops a server.</summary>
    public async Task TerminateAsync()
    {
        // Process.Kill sends SIGKILL, which would skip the graceful shutdown under test.
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Sends SIGKILL, as a crash or an OOM kill would end it: no code of the process runs after it.</summary>
    public async Task KillAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-KILL", Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
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

    internal static string DotnetHost()
    {
        // Under `dotnet test` the test host is itself run by the dotnet host; use the same one.
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}

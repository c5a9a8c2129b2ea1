using System.Diagnostics;
using Usher.Testing;

namespace Usher.Streaming.Tests.Fixtures;

/// <summary>
/// The real <c>usher stream</c> (or another <c>usher</c> command, such as <c>serve</c>) as a child
/// process (<c>dotnet usher.dll stream ...</c>), so it can be killed with SIGKILL.
/// </summary>
public sealed class UsherStreamProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private UsherStreamProcess(Process process) => _process = process;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static UsherStreamProcess Start(params string[] args) => Command(["stream", .. args]);

    /// <summary>Any <c>usher</c> command line, such as <c>serve --config FILE</c>.</summary>
    public static UsherStreamProcess Command(string[] args, string? workingDirectory = null)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

        // SIGINT at its default, as a terminal's foreground job has it: a test run started in the
        // background by a non-interactive shell (`dotnet test ... &`) ignores SIGINT, a child inherits
        // that, and .NET then installs no handler for it, so Ctrl-C (kill -INT) would never reach usher.
        // env execs usher in its own place: the process id is usher's.
        var start = new ProcessStartInfo("env", ["--default-signal=INT", host, Path.Combine(AppContext.BaseDirectory, "usher.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        var process = Process.Start(start)!;
        var started = new UsherStreamProcess(process);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>
    /// SIGSTOP, then waits until every thread has stopped: it answers nothing more until <see cref="Thaw"/>,
    /// so what a test reads next is the state a kill then lands in (<see cref="ProcessFreeze"/>).
    /// </summary>
    public async Task FreezeAsync()
        => Assert.True(await ProcessFreeze.FreezeAsync(_process.Id, TimeSpan.FromSeconds(60)), $"usher exited before it could be stopped:\n{Log}");

    /// <summary>SIGCONT: a frozen process runs on.</summary>
    public void Thaw() => ProcessFreeze.Thaw(_process.Id);

    /// <summary>kill -9: no drain, no acknowledgement.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>
    /// SIGTERM (or <paramref name="signal"/>, such as INT for Ctrl-C), then asserts that it drained and
    /// exited 0; the message carries the exit code and the log when it did not.
    /// </summary>
    public async Task TerminateAsync(string signal = "TERM")
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(_process.ExitCode == 0, $"usher exited {_process.ExitCode} after SIG{signal} (expected 0):\n{Log}");
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process ends by itself (within <paramref name="limit"/>).</summary>
    public async Task<int> ExitCodeAsync(TimeSpan limit)
    {
        await _process.WaitForExitAsync().WaitAsync(limit);
        return _process.ExitCode;
    }

    /// <summary>Waits until the log holds a line with <paramref name="text"/>; returns that line.</summary>
    public async Task<string> WaitForLogAsync(string text, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            var line = Log.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
            {
                return line.TrimEnd();
            }

            if (_process.HasExited && !Log.Contains(text, StringComparison.Ordinal))
            {
                Assert.Fail($"usher exited ({_process.ExitCode}) before logging '{text}':\n{Log}");
            }

            Assert.True(DateTime.UtcNow < until, $"no '{text}' in the log after {limit.TotalSeconds} s:\n{Log}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}

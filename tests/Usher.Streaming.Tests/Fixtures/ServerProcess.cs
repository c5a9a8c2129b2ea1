using System.Diagnostics;

namespace Usher.Streaming.Tests.Fixtures;

/// <summary>
/// A broker (redis-server, mosquitto) from the system's packages, run as a child process on a free
/// loopback port with its files in a temp folder. Missing binary: a skip locally, a failure under CI=true.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Usher.Testing.TempDirectory _folder;

    private ServerProcess(Process process, Usher.Testing.TempDirectory folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static string? Locate(string binary)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Concat(["/usr/sbin", "/usr/bin"]))
        {
            var path = Path.Combine(dir, binary);
            if (dir.Length > 0 && File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Skips (locally) or fails (CI=true) when <paramref name="binary"/> is not installed.</summary>
    public static string Require(string binary)
    {
        var path = Locate(binary);
        if (path is null)
        {
            var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
            Assert.False(ci, $"{binary} is not installed; .ci/run installs it (apt-get install redis-server mosquitto)");
            Skip.If(true, $"{binary} is not installed (apt-get install redis-server mosquitto)");
        }

        return path!;
    }

    public static async Task<ServerProcess> StartRedisAsync()
    {
        var binary = Require("redis-server");
        var folder = new Usher.Testing.TempDirectory();
        var port = FreePort.Next();
        var process = Start(binary, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder.Path], folder.Path);
        await FreePort.WaitListeningAsync(port, "redis-server", TimeSpan.FromSeconds(20));
        return new ServerProcess(process, folder, port);
    }

    public static async Task<ServerProcess> StartMosquittoAsync()
    {
        var binary = Require("mosquitto");
        var folder = new Usher.Testing.TempDirectory();
        var port = FreePort.Next();
        var config = folder.Combine("mosquitto.conf");
        await File.WriteAllTextAsync(config, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence false
            max_queued_messages 100000
            log_dest stderr

            """);
        var process = Start(binary, ["-c", config], folder.Path);
        await FreePort.WaitListeningAsync(port, "mosquitto", TimeSpan.FromSeconds(20));
        return new ServerProcess(process, folder, port);
    }

    private static Process Start(string binary, string[] args, string folder)
    {
        var start = new ProcessStartInfo(binary, args)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _folder.Dispose();
    }
}

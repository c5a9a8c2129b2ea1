using System.Diagnostics;

namespace Usher.Streaming.Tests.Fixtures;

/// <summary>
/// A broker (redis-server, mosquitto) from the system's packages, run as a child process on a free
/// loopback port with its files in a temp folder. Missing binary: a skip locally, a failure under CI=true.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Usher.Testing.TempDirectory _folder;
    private readonly string _binary;
    private readonly string[] _args;
    private Process _process;

    private ServerProcess(Process process, Usher.Testing.TempDirectory folder, int port, string binary, string[] args)
    {
        _process = process;
        _folder = folder;
        _binary = binary;
        _args = args;
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

    /// <summary>
    /// A redis-server; <paramref name="durable"/> keeps its data across <see cref="KillHard"/> and
    /// <see cref="RestartAsync"/> (append-only file, fsync on every write), as a production Redis would.
    /// </summary>
    public static async Task<ServerProcess> StartRedisAsync(bool durable = false)
    {
        var binary = Require("redis-server");
        var folder = new Usher.Testing.TempDirectory();
        var port = FreePort.Next();
        string[] args = ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--dir", folder.Path,
            .. durable ? ["--appendonly", "yes", "--appendfsync", "always"] : new[] { "--appendonly", "no" }];
        var process = Start(binary, args, folder.Path);
        await FreePort.WaitListeningAsync(port, "redis-server", TimeSpan.FromSeconds(20));
        return new ServerProcess(process, folder, port, binary, args);
    }

    /// <summary>kill -9: the broker drops every connection at once.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Starts the server again, same port, same folder (a durable Redis comes back with its data).</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        _process = Start(_binary, _args, _folder.Path);
        await FreePort.WaitListeningAsync(Port, _binary, TimeSpan.FromSeconds(20));
        if (Path.GetFileName(_binary) == "redis-server")
        {
            await WaitRedisLoadedAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>
    /// Redis listens before it has loaded its append-only file and answers <c>-LOADING</c> meanwhile:
    /// a test that wrote at once after a restart failed on a loaded machine. Polls PING until PONG.
    /// </summary>
    private async Task WaitRedisLoadedAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            using (var client = new System.Net.Sockets.TcpClient())
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, Port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var reply = new byte[64];
                var read = await stream.ReadAsync(reply);
                if (System.Text.Encoding.ASCII.GetString(reply, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"redis-server on port {Port} still loading its data after {timeout.TotalSeconds} s");
            }

            await Task.Delay(50);
        }
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
        string[] args = ["-c", config];
        var process = Start(binary, args, folder.Path);
        await FreePort.WaitListeningAsync(port, "mosquitto", TimeSpan.FromSeconds(20));
        return new ServerProcess(process, folder, port, binary, args);
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

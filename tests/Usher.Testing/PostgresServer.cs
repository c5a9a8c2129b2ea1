using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Usher.Testing;

/// <summary>
/// A PostgreSQL server from the system's packages (<c>initdb</c>, <c>postgres</c>), initialised in a
/// temp folder and run as a child process on a free loopback port, with trust authentication for the
/// user <c>usher</c>. <c>initdb</c> refuses to run as root, so under root both run as the
/// <c>postgres</c> user (<c>runuser</c>). Missing binaries: a skip locally, a failure under CI=true.
/// Each test takes its own database (<see cref="CreateDatabaseAsync"/>) on the shared server, or
/// starts its own server when it kills one.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private const string User = "usher";
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartSharedAsync);
    private static int _databases;

    private readonly TempDirectory _folder;
    private readonly string[] _command;
    private readonly string[] _stop;
    private Process _process;

    private PostgresServer(Process process, TempDirectory folder, int port, string[] command, string[] stop)
    {
        _process = process;
        _folder = folder;
        _command = command;
        _stop = stop;
        Port = port;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>The server this test process shares (started on first use, stopped when the process exits).</summary>
    public static Task<PostgresServer> SharedAsync() => SharedServer.Value;

    /// <summary>Initialises and starts a server of its own.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = RequireBinaries();
        var folder = new TempDirectory();
        var data = Path.Combine(folder.Path, "data");
        var asPostgres = Environment.UserName == "root";
        if (asPostgres)
        {
            // The data folder must belong to the user the server runs as.
            Run(["chown", "postgres:", folder.Path]);
        }

        Run(Wrap(asPostgres, Path.Combine(bin, "initdb"), ["-D", data, "-U", User, "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]));
        var port = FreePort();
        string[] command = Wrap(asPostgres, Path.Combine(bin, "postgres"),
        [
            "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
        ]);
        string[] stop = Wrap(asPostgres, Path.Combine(bin, "pg_ctl"), ["stop", "-D", data, "-m", "fast", "-w", "-s"]);
        var server = new PostgresServer(Start(command), folder, port, command, stop);
        await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>A connection string for <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Database = database,
        Timeout = 5,
    }.ToString();

    /// <summary>The URI form Usher's <c>--state</c> takes for <paramref name="database"/>.</summary>
    public string Uri(string database) => $"postgresql://{User}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{database}";

    /// <summary>Creates an empty database with a fresh name and returns the name.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>kill -9: every connection drops at once.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>
    /// Stops the server as an operator would for maintenance (<c>pg_ctl stop -m fast</c>): every session
    /// is terminated, then the server shuts down cleanly, so that <see cref="RestartAsync"/> can start it again.
    /// </summary>
    public async Task StopAsync()
    {
        Run(_stop);
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port and data (after <see cref="StopAsync"/>).</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        _process = Start(_command);
        await WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                KillHard();
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        _process.Dispose();
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    private async Task WaitReadyAsync(TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && DateTime.UtcNow < until && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    private static string RequireBinaries()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        if (bin is null)
        {
            var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
            Assert.False(ci, "PostgreSQL is not installed; .ci/run installs it (apt-get install postgresql)");
            Skip.If(true, "PostgreSQL is not installed (apt-get install postgresql)");
        }

        return bin!;
    }

    private static string[] Wrap(bool asPostgres, string binary, string[] args)
        => asPostgres ? ["runuser", "-u", "postgres", "--", binary, .. args] : [binary, .. args];

    private static ProcessStartInfo Info(string[] command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static Process Start(string[] command)
    {
        var process = Process.Start(Info(command))!;
        // Drain the server's log so that a full pipe never stalls it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Run(string[] command)
    {
        using var process = Process.Start(Info(command))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} exited with {process.ExitCode}: {error}{output.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

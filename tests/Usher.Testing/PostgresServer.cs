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

    // The file in a server's folder that holds the pid of the test process that started it.
    private const string OwnerFile = "owner.pid";

    // How old a stopped server's folder without an owner file must be before another test process deletes it.
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(10);
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartSharedAsync);
    private static int _databases;

    private readonly TempDirectory _folder;
    private readonly string[] _command;
    private readonly Func<string, string[]> _stop;
    private Process _process;

    private PostgresServer(Process process, TempDirectory folder, int port, string[] command, Func<string, string[]> stop)
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
        var asPostgres = Environment.UserName == "root";
        DeleteAbandoned(bin, asPostgres);
        var folder = new TempDirectory();
        var data = Path.Combine(folder.Path, "data");
        await File.WriteAllTextAsync(Path.Combine(folder.Path, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
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
        string[] Stop(string mode) => Wrap(asPostgres, Path.Combine(bin, "pg_ctl"), ["stop", "-D", data, "-m", mode, "-w", "-s"]);
        var server = new PostgresServer(Start(command), folder, port, command, Stop);
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
        Run(_stop("fast"));
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port and data (after <see cref="StopAsync"/>).</summary>
    public async Task RestartAsync()
    {
        _process.Dispose();
        _process = Start(_command);
        await WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Stops the server (<c>pg_ctl stop -m immediate</c>, which returns once the postmaster and every
    /// process it started have exited) and deletes its folder. A kill -9 of the postmaster alone leaves
    /// its checkpointer running, writing into the folder, which then cannot be deleted: each test
    /// process left a server's folder (about 140 MB) behind in the temp folder.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    Run(_stop("immediate"));
                }
                catch (InvalidOperationException)
                {
                    // pg_ctl failed (the server is going already): the kill below makes sure.
                }

                if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    KillHard();
                }
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

    /// <summary>
    /// Stops the servers, and deletes the folders, that a test process left behind: the test host is
    /// stopped soon after its tests end, often before its exit handler has stopped its server, and a
    /// killed one runs no handler at all. A server is abandoned when the process that started it (the
    /// pid in its <see cref="OwnerFile"/>) is gone; a folder without one (an older run's) when its
    /// postmaster is not running and it was initialised more than <see cref="AbandonedAfter"/> ago.
    /// </summary>
    private static void DeleteAbandoned(string bin, bool asPostgres)
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), "usher-test-*"))
        {
            var data = Path.Combine(folder, "data");
            var version = Path.Combine(data, "PG_VERSION");
            var postmaster = Path.Combine(data, "postmaster.pid");
            var abandoned = ReadPid(Path.Combine(folder, OwnerFile)) is { } owner
                ? !Alive(owner)
                : File.Exists(version) && File.GetLastWriteTimeUtc(version) < DateTime.UtcNow - AbandonedAfter && (ReadPid(postmaster) is not { } pid || !Alive(pid));
            if (!abandoned || !File.Exists(version))
            {
                continue;
            }

            try
            {
                if (ReadPid(postmaster) is { } running && Alive(running))
                {
                    Run(Wrap(asPostgres, Path.Combine(bin, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w", "-s"]));
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Another test process got to it first, or it is still being torn down: a later start tries again.
            }
        }
    }

    // The pid on the first line of a file (a postmaster.pid, an owner file), or null.
    private static int? ReadPid(string file)
    {
        try
        {
            return int.TryParse(File.ReadLines(file).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

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

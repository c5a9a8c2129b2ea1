using System.Globalization;
using System.Text;
using Npgsql;

namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// The shared state database that <c>--state postgresql://USER[:PASSWORD]@HOST[:PORT]/DB</c>
/// (<c>admin.state</c>) names: read part by part, every problem reported, and turned into an Npgsql
/// connection string by <see cref="NpgsqlConnectionStringBuilder"/>. The port defaults to 5432; without
/// a user or password Npgsql falls back to its own defaults (<c>PGPASSWORD</c>, a <c>.pgpass</c> file).
/// Nothing this type says ever contains the password.
/// </summary>
internal sealed class PostgresTarget
{
    /// <summary>What the value must look like, for messages.</summary>
    public const string Form = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE";

    private const int DefaultPort = 5432;

    // PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes).
    private const int MaxDatabaseBytes = 63;

    private PostgresTarget(string connectionString, string server, string display)
    {
        ConnectionString = connectionString;
        Server = server;
        Display = display;
    }

    /// <summary>The Npgsql connection string (it holds the password when the URI had one: never print it).</summary>
    public string ConnectionString { get; }

    /// <summary>The server, <c>HOST:PORT</c>.</summary>
    public string Server { get; }

    /// <summary>The database for messages and logs: <c>postgresql://USER@HOST:PORT/DB</c>, without the password.</summary>
    public string Display { get; }

    /// <summary>Whether <paramref name="value"/> names a PostgreSQL database (its scheme), right or wrong otherwise.</summary>
    public static bool IsPostgres(string value)
        => value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads <paramref name="value"/>; null with every problem when it is not a usable URI.</summary>
    public static PostgresTarget? Parse(string value, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(value);
        var found = new List<string>();
        problems = found;
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0 || !IsPostgres(value))
        {
            var scheme = schemeEnd < 0 ? "no scheme" : $"the scheme '{value[..schemeEnd]}'";
            found.Add($"expected {Form}, got {scheme}");
            return null;
        }

        var rest = value[(schemeEnd + 3)..];
        if (rest.IndexOfAny(['?', '#']) is var query and >= 0)
        {
            found.Add($"expected {Form} without '{rest[query]}...': connection options are not taken from --state (a password may also come from PGPASSWORD or a .pgpass file)");
            rest = rest[..query];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var database = slash < 0 ? string.Empty : Uri.UnescapeDataString(rest[(slash + 1)..]);
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? null : authority[..at];
        var hostPort = at < 0 ? authority : authority[(at + 1)..];

        string? user = null;
        string? password = null;
        if (userInfo is not null)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            // Percent-escapes (%40 for '@', %3A for ':') as in any URI.
            user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            if (user.Length == 0)
            {
                found.Add($"expected a user before '@' ({Form}), got none");
            }
        }

        var (host, port) = ReadHostPort(hostPort, found);
        if (database.Length == 0)
        {
            found.Add($"expected a database name after the host ({Form}), got none");
        }
        else if (database.Contains('/', StringComparison.Ordinal))
        {
            found.Add($"expected one database name after the host, got '{database}'");
        }
        else if (Encoding.UTF8.GetByteCount(database) > MaxDatabaseBytes)
        {
            found.Add($"the database name '{database}' is {Encoding.UTF8.GetByteCount(database)} bytes long; PostgreSQL names have at most {MaxDatabaseBytes}");
        }

        if (found.Count > 0)
        {
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Database = database,
            ApplicationName = "usher",
        };
        if (user is not null)
        {
            builder.Username = user;
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        var server = $"{(host!.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port.ToString(CultureInfo.InvariantCulture)}";
        return new PostgresTarget(builder.ConnectionString, server, $"postgresql://{(user is null ? string.Empty : user + "@")}{server}/{database}");
    }

    private static (string? Host, int Port) ReadHostPort(string hostPort, List<string> found)
    {
        string host;
        string? portText = null;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                found.Add($"expected an IPv6 host in brackets ([::1]), got '{hostPort}'");
                return (null, DefaultPort);
            }

            host = hostPort[1..close];
            var after = hostPort[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    found.Add($"expected ':PORT' after the host [{host}], got '{after}'");
                }
                else
                {
                    portText = after[1..];
                }
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            portText = colon < 0 ? null : hostPort[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            found.Add($"expected a host ({Form}), got none");
        }
        else if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            found.Add($"the host '{host}' is not a host name or an IP address");
        }

        var port = DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            found.Add($"expected a port from 1 to 65535 after the host, got '{portText}'");
            port = DefaultPort;
        }

        return (host.Length == 0 ? null : host, port);
    }
}

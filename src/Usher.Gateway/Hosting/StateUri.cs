using Npgsql;

namespace Usher.Gateway.Hosting;

/// <summary>The shared state's URI, <c>postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE</c>, as an Npgsql connection string.</summary>
internal static class StateUri
{
    private const int DefaultPort = 5432;

    /// <summary>What is wrong with <paramref name="uri"/>, or null when it names a PostgreSQL database.</summary>
    public static string? Problem(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("postgresql" or "postgres"))
        {
            return $"expected postgresql://USER@HOST:PORT/DATABASE, got '{uri}'";
        }

        if (string.IsNullOrEmpty(parsed.Host))
        {
            return $"'{uri}' names no host; expected postgresql://USER@HOST:PORT/DATABASE";
        }

        return parsed.AbsolutePath.Trim('/').Length == 0
            ? $"'{uri}' names no database; expected postgresql://USER@HOST:PORT/DATABASE"
            : null;
    }

    /// <summary>The connection string for <paramref name="uri"/> (checked with <see cref="Problem"/> first).</summary>
    public static string ConnectionString(string uri)
    {
        var parsed = new Uri(uri);
        var user = parsed.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port < 0 ? DefaultPort : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.Trim('/')),
            // A refresh is one short query a second: a stuck server must not hold it for long.
            Timeout = 5,
            CommandTimeout = 5,
        };
        if (user[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(user[0]);
        }

        if (user.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(user[1]);
        }

        return builder.ToString();
    }
}

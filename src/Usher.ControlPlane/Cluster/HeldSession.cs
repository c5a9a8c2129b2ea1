using System.Globalization;
using Npgsql;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// A session the membership holds open for as long as the replica runs: the leader election's (which
/// holds the lock) and the route listener's (which holds the <c>LISTEN</c>). Each is named
/// (<c>application_name</c>) and asks the server for TCP keepalives of its own
/// (<c>tcp_keepalives_idle</c>, <c>tcp_keepalives_interval</c>, <c>tcp_keepalives_count</c>,
/// <c>tcp_user_timeout</c> and <c>client_connection_check_interval</c>, from the
/// <c>cluster.leader_keepalive_*</c> settings), so that after a network split the server drops it
/// after <see cref="ClusterOptions.LeaderDropAfter"/> instead of the operating system's default (about
/// 2 h 11 min on Linux): the election's lock is freed, and a listener's dead backend stops holding one
/// of the server's connection slots. Any user may set these, for a session alone (PostgreSQL 14 or
/// later); over a Unix-domain socket the server ignores the TCP ones.
/// </summary>
internal static class HeldSession
{
    /// <summary>Opens a connection of <paramref name="source"/> named <paramref name="name"/>, with the keepalives of <paramref name="options"/>; the caller disposes it.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource source, string name, ClusterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var settings = new NpgsqlCommand("""
                SELECT set_config('application_name', @name, false),
                       set_config('tcp_keepalives_idle', @idle, false),
                       set_config('tcp_keepalives_interval', @interval, false),
                       set_config('tcp_keepalives_count', @count, false),
                       set_config('tcp_user_timeout', @drop, false),
                       set_config('client_connection_check_interval', @check, false)
                """, connection);
            settings.Parameters.AddWithValue("name", name);
            settings.Parameters.AddWithValue("idle", Seconds(options.LeaderKeepaliveIdle));
            settings.Parameters.AddWithValue("interval", Seconds(options.LeaderKeepaliveInterval));
            settings.Parameters.AddWithValue("count", options.LeaderKeepaliveCount.ToString(CultureInfo.InvariantCulture));
            settings.Parameters.AddWithValue("drop", Milliseconds(options.LeaderDropAfter));
            settings.Parameters.AddWithValue("check", Milliseconds(options.LeaderKeepaliveInterval));
            await settings.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Seconds(TimeSpan value) => ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";

    private static string Milliseconds(TimeSpan value) => ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}

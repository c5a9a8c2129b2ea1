using System.Data.Common;
using Npgsql;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// Tells a state store that cannot be reached right now from every other failure: its PostgreSQL
/// server is down, restarting or was stopped by an operator (a connection that fails or is dropped,
/// SQL states of class 08, connection exceptions, and 57P, operator intervention), or a driver reports
/// the error as transient. A call that meets one is worth retrying once the store is back; the server
/// answers it 503 with <c>Retry-After</c>, not 500.
/// </summary>
internal static class StateStoreOutage
{
    /// <summary>Whether <paramref name="exception"/>, or one it wraps, says the store cannot be reached.</summary>
    public static bool Is(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    // The server answered: the statement's own error unless the server is going away.
                    return postgres.IsTransient
                        || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal);
                case DbException { IsTransient: true }:
                    return true;
            }
        }

        return false;
    }
}

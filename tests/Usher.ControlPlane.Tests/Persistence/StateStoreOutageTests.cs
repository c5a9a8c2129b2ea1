using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;
using Usher.ControlPlane.Persistence;

namespace Usher.ControlPlane.Tests.Persistence;

public sealed class StateStoreOutageTests
{
    [Theory]
    [InlineData("57P01", true)] // admin_shutdown: the server is being stopped
    [InlineData("57P03", true)] // cannot_connect_now: starting up
    [InlineData("08006", true)] // connection_failure
    [InlineData("53300", true)] // too_many_connections (transient for Npgsql)
    [InlineData("23505", false)] // unique_violation: the statement's own error
    [InlineData("42P01", false)] // undefined_table
    public void APostgresError_IsAnOutage_OnlyWhenTheServerIsGoingAwayOrCannotTakeTheSession(string sqlState, bool outage)
    {
        var error = new PostgresException("message", "FATAL", "FATAL", sqlState);

        Assert.Equal(outage, StateStoreOutage.Is(error));
        Assert.Equal(outage, StateStoreOutage.Is(new StateStoreException("wrapped", error)));
    }

    [Fact]
    public void AConnectionThatCannotBeOpened_IsAnOutage()
        => Assert.True(StateStoreOutage.Is(new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused))));

    [Fact]
    public void OtherFailures_AreNot()
    {
        Assert.False(StateStoreOutage.Is(null));
        Assert.False(StateStoreOutage.Is(new InvalidOperationException("a bug")));
        Assert.False(StateStoreOutage.Is(new NpgsqlException("a bad statement")));
        Assert.False(StateStoreOutage.Is(new SqliteException("constraint failed", 19)));
    }
}

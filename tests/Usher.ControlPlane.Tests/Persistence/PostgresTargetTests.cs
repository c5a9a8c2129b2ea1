using Npgsql;
using Usher.ControlPlane.Persistence.Postgres;

namespace Usher.ControlPlane.Tests.Persistence;

/// <summary>How <c>--state postgresql://...</c> is read: every part checked, the password kept out of every message.</summary>
public sealed class PostgresTargetTests
{
    [Fact]
    public void Parse_AFullUri_GivesTheConnectionString_WithThePasswordUnescaped_AndADisplayWithoutIt()
    {
        var target = PostgresTarget.Parse("postgresql://ush%40er:p%40ss%3Bw%3Ard=x@db.example.com:6543/shared_state", out var problems);

        Assert.Empty(problems);
        var built = new NpgsqlConnectionStringBuilder(target!.ConnectionString);
        Assert.Equal(("db.example.com", 6543, "shared_state", "ush@er", "p@ss;w:rd=x"), (built.Host, built.Port, built.Database, built.Username, built.Password));
        Assert.Equal("db.example.com:6543", target.Server);
        Assert.Equal("postgresql://ush@er@db.example.com:6543/shared_state", target.Display);
        Assert.DoesNotContain("p@ss", target.Display, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://10.0.0.7/usher", "10.0.0.7", 5432, null, "postgresql://10.0.0.7:5432/usher")]
    [InlineData("POSTGRESQL://u@[::1]:5433/usher", "::1", 5433, "u", "postgresql://u@[::1]:5433/usher")]
    public void Parse_WithoutAPortOrUser_KeepsNpgsqlsDefaults(string uri, string host, int port, string? user, string display)
    {
        var target = PostgresTarget.Parse(uri, out var problems);

        Assert.Empty(problems);
        var built = new NpgsqlConnectionStringBuilder(target!.ConnectionString);
        Assert.Equal((host, port, user, null as string), (built.Host, built.Port, built.Username, built.Password));
        Assert.Equal(display, target.Display);
    }

    [Fact]
    public void Parse_ReportsEveryProblem_AndNeverThePassword()
    {
        var target = PostgresTarget.Parse("postgresql://admin:hunter2-secret@bad_host!:70000/", out var problems);

        Assert.Null(target);
        Assert.Equal(
            [
                "the host 'bad_host!' is not a host name or an IP address",
                "expected a port from 1 to 65535 after the host, got '70000'",
                "expected a database name after the host (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE), got none",
            ],
            problems);
        Assert.DoesNotContain(problems, p => p.Contains("hunter2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("mysql://u:pw-secret@h/db", "expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, got the scheme 'mysql'")]
    [InlineData("/var/lib/usher", "expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, got no scheme")]
    [InlineData("postgresql://u:pw-secret@h/db?sslmode=require", "expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE without '?...': connection options are not taken from --state (a password may also come from PGPASSWORD or a .pgpass file)")]
    [InlineData("postgresql://:pw-secret@h/db", "expected a user before '@' (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE), got none")]
    [InlineData("postgresql://u@h:0/db", "expected a port from 1 to 65535 after the host, got '0'")]
    [InlineData("postgresql://u@h/a/b", "expected one database name after the host, got 'a/b'")]
    public void Parse_AWrongValue_SaysWhatWasExpected(string uri, string problem)
    {
        Assert.Null(PostgresTarget.Parse(uri, out var problems));
        Assert.Equal([problem], problems);
    }

    [Fact]
    public void Parse_ADatabaseNameLongerThanPostgresKeeps_IsRefused()
    {
        var name = new string('d', 64);

        Assert.Null(PostgresTarget.Parse($"postgresql://u@h/{name}", out var problems));
        Assert.Equal([$"the database name '{name}' is 64 bytes long; PostgreSQL names have at most 63"], problems);
    }
}

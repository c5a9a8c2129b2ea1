using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests.Admin;

/// <summary><c>admin.state</c> (<c>--state</c>, <c>USHER_ADMIN__STATE</c>) in the settings system: read from every source, checked with the other settings.</summary>
public sealed class StateSettingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Flags(params (string Key, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["repository:path"] = _dir.Path };
        foreach (var (key, value) in more)
        {
            flags[key] = value;
        }

        return flags;
    }

    [Fact]
    public void Load_TheStateFromTheEnvironment_OrAFlagThatOverridesIt()
    {
        var env = new Dictionary<string, string> { ["USHER_ADMIN__STATE"] = "postgresql://usher@db-env:5432/usher" };

        Assert.Equal("postgresql://usher@db-env:5432/usher", UsherSettings.Load(null, Flags(), env).Admin.State);
        Assert.Equal("postgresql://usher@db-flag/usher", UsherSettings.Load(null, Flags(("admin:state", "postgresql://usher@db-flag/usher")), env).Admin.State);
        Assert.Null(UsherSettings.Load(null, Flags(), new Dictionary<string, string>()).Admin.State);
    }

    [Fact]
    public void Load_TheStateAndADataDirTogether_AndABadUri_ReportEveryProblem_WithoutThePassword()
    {
        var flags = Flags(("admin:state", "postgresql://usher:top-secret-pw@db:99999"), ("admin:data_dir", _dir.Combine("state")));

        var error = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, flags, new Dictionary<string, string>()));

        Assert.Contains("admin.state: admin.data_dir (--data-dir) is set too; keep one of them", error.Message, StringComparison.Ordinal);
        Assert.Contains("admin.state: expected a port from 1 to 65535 after the host, got '99999'", error.Message, StringComparison.Ordinal);
        Assert.Contains("admin.state: expected a database name after the host", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("top-secret-pw", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AStateThatIsNoPostgreSqlUri_PointsAtTheSqliteDefault()
    {
        var error = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, Flags(("admin:state", _dir.Combine("state"))), new Dictionary<string, string>()));

        Assert.Contains("admin.state: expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, got no scheme (SQLite, the default, needs no --state: leave it out, or use --data-dir for its folder)", error.Message, StringComparison.Ordinal);
    }
}

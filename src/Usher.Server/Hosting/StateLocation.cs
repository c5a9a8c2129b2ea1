using System.Security.Cryptography;
using System.Text;
using Usher.ControlPlane.Persistence;
using Usher.Server.Admin;

namespace Usher.Server.Hosting;

/// <summary>
/// Where the control plane keeps its state (docs/configuration.md): <c>admin.data_dir</c> when set;
/// otherwise with the repository it governs, <c>&lt;repository&gt;/.usher/usher.db</c>; and when the
/// repository is read-only, a folder of the user's state home keyed by the repository's full path
/// (<c>$XDG_STATE_HOME/usher/&lt;key&gt;</c>, by default <c>~/.local/state/usher/&lt;key&gt;</c>).
/// Never the working directory.
/// </summary>
internal static class StateLocation
{
    /// <summary>The state file's name in its folder.</summary>
    public const string FileName = "usher.db";

    /// <summary>The folder inside a repository that holds its state.</summary>
    public const string RepositoryFolder = ".usher";

    /// <summary>
    /// The state file for <paramref name="admin"/> and the repository at <paramref name="repository"/>;
    /// <c>FollowsRepository</c> is true when the file lives inside the repository.
    /// </summary>
    public static (string Path, bool FollowsRepository) Resolve(AdminOptions admin, string repository, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(admin);
        if (!string.IsNullOrWhiteSpace(admin.DataDir))
        {
            return (Path.Combine(Path.GetFullPath(admin.DataDir), FileName), false);
        }

        var root = StateFile.Normalize(repository);
        var inside = Path.Combine(root, RepositoryFolder);
        return Directory.Exists(root) && IsWritableFolder(inside)
            ? (Path.Combine(inside, FileName), true)
            : (Path.Combine(StateHome(environment ?? Environment.GetEnvironmentVariable), "usher", Key(root), FileName), false);
    }

    /// <summary>The key of a repository's state folder in the state home: 16 hex digits of the SHA-256 of its full path.</summary>
    public static string Key(string repository)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(StateFile.Normalize(repository))))[..16];

    private static string StateHome(Func<string, string?> environment)
    {
        if (environment("XDG_STATE_HOME") is { Length: > 0 } xdg && Path.IsPathFullyQualified(xdg))
        {
            return xdg;
        }

        return OperatingSystem.IsWindows()
            ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
    }

    // Creates the folder if needed and proves a file can be written there (permissions alone do not
    // say so: a read-only mount, or root on a read-only file system).
    private static bool IsWritableFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            using var probe = new FileStream(
                Path.Combine(folder, $".probe-{Environment.ProcessId}"), FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

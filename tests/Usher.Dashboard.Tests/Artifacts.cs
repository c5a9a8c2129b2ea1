using Usher.Testing;

namespace Usher.Dashboard.Tests;

/// <summary>
/// Where the tests leave their screenshots: <c>$USHER_TEST_RESULTS/dashboard</c> (CI points it at its
/// results folder), else <c>tests/Usher.Dashboard.Tests/TestResults/dashboard</c> (ignored by git).
/// </summary>
internal static class Artifacts
{
    public static string Folder
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("USHER_TEST_RESULTS") is { Length: > 0 } results
                ? results
                : RepoRoot.Combine("tests", "Usher.Dashboard.Tests", "TestResults");
            var folder = Path.Combine(root, "dashboard");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public static string Screenshot(string name) => Path.Combine(Folder, name + ".png");
}

using Microsoft.Playwright;

namespace Usher.Dashboard.Tests;

/// <summary>
/// One headless Chromium for the tests: Debian's <c>chromium</c> (or <c>USHER_CHROMIUM</c>), driven by
/// Playwright through its bundled driver; Playwright never downloads a browser here. Without Chromium
/// the tests skip, except under <c>CI=true</c>, where a missing browser is a failure.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    /// <summary>The browser, or null when Chromium is not installed.</summary>
    public IBrowser? Instance { get; private set; }

    /// <summary>Why there is no browser.</summary>
    public string? Missing { get; private set; }

    public async Task InitializeAsync()
    {
        var executable = Find();
        if (executable is null)
        {
            Missing = "Chromium is not installed (apt-get install chromium, or set USHER_CHROMIUM to its path)";
            return;
        }

        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"],
        });
    }

    /// <summary>The browser; skips the test without one, or fails it under CI.</summary>
    public IBrowser Require()
    {
        if (Instance is not null)
        {
            return Instance;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{Missing} (CI=true: a missing browser fails the browser tests)");
        }

        throw new SkipException(Missing);
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null)
        {
            await Instance.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("USHER_CHROMIUM") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin"))
        {
            foreach (var name in new[] { "chromium", "chromium-browser" })
            {
                var candidate = Path.Combine(dir, name);
                if (dir.Length > 0 && File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

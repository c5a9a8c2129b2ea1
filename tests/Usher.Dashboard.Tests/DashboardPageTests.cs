using System.Globalization;
using System.Net;
using Microsoft.Playwright;

namespace Usher.Dashboard.Tests;

/// <summary>
/// The dashboard in a real headless Chromium against a real server on Kestrel with real traffic: it
/// loads without console errors, its charts move while requests flow, its rollback button rolls a
/// canary back (and the admin API agrees), and it asks for the admin token when one is set.
/// Screenshots go to the test results folder (<see cref="Artifacts"/>).
/// </summary>
[Collection(nameof(BrowserCollection))]
public sealed class DashboardPageTests
{
    private const string Token = "dashboard-test-token-0123456789";
    private const float WaitMs = 20_000;

    private readonly Browser _browser;

    public DashboardPageTests(Browser browser) => _browser = browser;

    private async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> OpenAsync()
    {
        var context = await _browser.Require().NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(WaitMs);
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add(error);
            }
        };
        return (context, page, errors);
    }

    private static async Task<double> ChartAsync(IPage page, string chart, string attribute)
    {
        var value = await page.Locator($"[data-chart^='{chart}']").First.GetAttributeAsync($"data-{attribute}");
        return double.Parse(value!, CultureInfo.InvariantCulture);
    }

    [SkippableFact]
    public async Task Dashboard_WithTrafficFlowing_LoadsWithoutConsoleErrorsAndItsChartsUpdate()
    {
        _ = _browser.Require(); // before starting a server: skip or fail at once
        await using var server = await DashboardServer.StartAsync();
        var (context, page, errors) = await OpenAsync();
        await using (context)
        {
            server.StartTraffic();
            await page.GotoAsync(server.DashboardUrl);
            await Assertions.Expect(page.Locator("[data-testid=endpoints] tr[data-endpoint=fraud]")).ToContainTextAsync("fraud:1 100%");

            // The charts grow by a point a second and show the requests per second that flow.
            await page.WaitForFunctionAsync("() => Number(document.querySelector(\"[data-chart^='Throughput']\")?.dataset.points) >= 2 && Number(document.querySelector(\"[data-chart^='Throughput']\")?.dataset.max) > 0");
            var before = await ChartAsync(page, "Throughput", "points");
            await page.WaitForFunctionAsync($"() => Number(document.querySelector(\"[data-chart^='Throughput']\")?.dataset.points) > {before.ToString(CultureInfo.InvariantCulture)}");
            Assert.True(await ChartAsync(page, "Throughput", "max") > 0);
            Assert.True(await ChartAsync(page, "Latency", "max") > 0, "p50/p99 should be plotted once requests are answered");
            Assert.Equal(0, await ChartAsync(page, "Error rate", "max"));
            await Assertions.Expect(page.Locator("[data-endpoint=fraud] [data-split='fraud:1']")).ToContainTextAsync("100%");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot("endpoints"), FullPage = true });

            // The models page: the version is loaded, and its batches show in the histogram.
            await page.GotoAsync(server.DashboardUrl + "#/models");
            var row = page.Locator("[data-testid=models] tr[data-model=fraud][data-version='1']");
            await Assertions.Expect(row).ToContainTextAsync("READY");
            await Assertions.Expect(row.Locator("[data-testid=batch-histogram]")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot("models"), FullPage = true });
            Assert.True(server.Answered > 0);
            Assert.Empty(errors);
        }
    }

    [SkippableFact]
    public async Task ClearFaultAndRollbackButtons_OnACanary_ActAndThePageAndTheAdminApiShowIt()
    {
        _ = _browser.Require(); // before starting a server: skip or fail at once
        await using var server = await DashboardServer.StartAsync();
        server.AddVersion2();
        var deployed = await server.DeployCanaryAsync();
        Assert.Equal("progressing", deployed.GetProperty("phase").GetString());
        var (context, page, errors) = await OpenAsync();
        await using (context)
        {
            server.StartTraffic();
            await page.GotoAsync(server.DashboardUrl + "#/endpoint/fraud");
            var phase = page.GetByTestId("rollout-phase");
            await Assertions.Expect(phase).ToHaveTextAsync("progressing");
            await Assertions.Expect(page.GetByTestId("weights")).ToContainTextAsync("fraud:2 25%");
            await page.WaitForFunctionAsync("() => Number(document.querySelector(\"[data-chart^='Throughput']\")?.dataset.points) >= 5");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot("canary"), FullPage = true });

            // A fault injected through the admin API shows, and its Clear button clears it.
            await server.AdminAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/2", new { abort_fraction = 0.01, abort_status = 503, delay_ms = 0, delay_fraction = 0 });
            var fault = page.Locator("[data-fault='fraud:2']");
            await Assertions.Expect(fault).ToContainTextAsync("abort 1% with 503");
            await fault.Locator("[data-action=clear-fault]").ClickAsync();
            await Assertions.Expect(fault).ToHaveCountAsync(0);
            var faults = (await server.AdminAsync(HttpMethod.Get, "/admin/endpoints")).GetProperty("endpoints")[0].GetProperty("faults");
            Assert.Equal(0, faults.GetArrayLength());

            // A refused action shows the server's reason.
            await page.Locator("[data-action=resume]").ClickAsync();
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("HTTP 409");
            await Assertions.Expect(page.Locator("#banner")).ToContainTextAsync("only a paused or inconclusive canary can be resumed");

            await page.Locator("[data-action=rollback]").ClickAsync();
            await Assertions.Expect(phase).ToHaveTextAsync("rolled_back");
            await Assertions.Expect(page.Locator("[data-testid=timeline] tr[data-event=rollback]")).ToContainTextAsync("dashboard");
            await Assertions.Expect(page.GetByTestId("weights")).ToHaveTextAsync("fraud:1 100%");
            await Assertions.Expect(page.Locator("[data-action=promote]")).ToBeDisabledAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot("rolled-back"), FullPage = true });

            var status = await server.AdminAsync(HttpMethod.Get, "/admin/endpoints/fraud/rollout");
            Assert.Equal("rolled_back", status.GetProperty("phase").GetString());
            var endpoints = await server.AdminAsync(HttpMethod.Get, "/admin/endpoints");
            var variants = endpoints.GetProperty("endpoints")[0].GetProperty("variants");
            Assert.Equal(1, variants.GetArrayLength());
            Assert.Equal(1, variants[0].GetProperty("version").GetInt64());

            // The 409 above is the only error the browser logged (Chrome logs a refused fetch as one).
            Assert.All(errors, e => Assert.Contains("409", e, StringComparison.Ordinal));
        }
    }

    [SkippableFact]
    public async Task TokenPrompt_WithAdminTokenSet_ShowsTheServersRefusalUntilTheRightTokenIsGiven()
    {
        _ = _browser.Require(); // before starting a server: skip or fail at once
        await using var server = await DashboardServer.StartAsync(Token);
        var (context, page, _) = await OpenAsync();
        await using (context)
        {
            // The page itself is open; its data is not.
            var response = await page.GotoAsync(server.DashboardUrl);
            Assert.Equal((int)HttpStatusCode.OK, response!.Status);
            var dialog = page.Locator("#token-dialog");
            await Assertions.Expect(dialog).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#token-error")).ToContainTextAsync("no Authorization header");

            await page.Locator("#token-input").FillAsync("not-the-token-at-all");
            await page.Locator("#token-submit").ClickAsync();
            await Assertions.Expect(page.Locator("#token-error")).ToContainTextAsync("a wrong token");
            await Assertions.Expect(dialog).ToBeVisibleAsync();

            await page.Locator("#token-input").FillAsync(Token);
            await page.Locator("#token-submit").ClickAsync();
            await Assertions.Expect(dialog).ToBeHiddenAsync();
            await Assertions.Expect(page.Locator("[data-testid=endpoints] tr[data-endpoint=fraud]")).ToBeVisibleAsync();
            Assert.Equal(Token, await page.EvaluateAsync<string>("() => sessionStorage.getItem('usher.adminToken')"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot("token"), FullPage = true });

            // The dashboard's data routes are the admin API's: refused without the token.
            using var anonymous = await server.Client.GetAsync("/admin/dashboard/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
    }
}

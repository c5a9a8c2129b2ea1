using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Usher.Dashboard.Tests;

/// <summary>
/// The endpoint page's experiment and shadow cards in a real headless Chromium, against a real server
/// with real traffic: what they show agrees with the admin API, and the A/B means with the outcomes the
/// test itself sent. A screenshot of each goes to the test results folder (<see cref="Artifacts"/>).
/// </summary>
[Collection(nameof(BrowserCollection))]
public sealed class ExperimentAndShadowCardTests
{
    private const float WaitMs = 20_000;
    private const int Units = 120;

    private readonly Browser _browser;

    public ExperimentAndShadowCardTests(Browser browser) => _browser = browser;

    /// <summary>The page's number format (<c>dom.js</c> <c>fmt</c>: en-US, at most that many decimals).</summary>
    private static string Fmt(double value, int digits)
        => value.ToString("#,0." + new string('#', digits), CultureInfo.InvariantCulture);

    private static string Interval(JsonElement c, string lower, string upper)
        => $"[{Fmt(c.GetProperty(lower).GetDouble(), 4)}, {Fmt(c.GetProperty(upper).GetDouble(), 4)}]";

    private async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> OpenAsync()
    {
        var context = await _browser.Require().NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1400 } });
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

    [SkippableFact]
    public async Task ExperimentCard_ShowsEachArmsMeanLiftIntervalsAndSequentialTest_AsTheApiAndTheSentOutcomesSay()
    {
        _ = _browser.Require(); // before starting a server: skip or fail at once
        await using var server = await DashboardServer.StartAsync();
        server.AddVersion2();
        await server.DeployAsync(new
        {
            endpoint = DashboardServer.Endpoint,
            strategy = "ab",
            ab = new
            {
                variants = new[] { new { version = 1, weight = 50 }, new { version = 2, weight = 50 } },
                metric = "conversion",
                kind = "binary",
                alpha = 0.05,
                min_samples = 20,
            },
        });

        // 120 units, one request each; version 2 converts two in three, version 1 one in three.
        var units = new Dictionary<long, int> { [1] = 0, [2] = 0 };
        var conversions = new Dictionary<long, int> { [1] = 0, [2] = 0 };
        for (var i = 0; i < Units; i++)
        {
            var variant = await server.InferAsync($"order-{i}", $"user-{i}", i);
            var version = long.Parse(variant.Split(':')[1], CultureInfo.InvariantCulture);
            units[version]++;
            if (version == 2 ? i % 3 != 0 : i % 3 == 0)
            {
                using var feedback = await server.Client.PostAsJsonAsync($"/v2/endpoints/{DashboardServer.Endpoint}/feedback", new { id = $"order-{i}", metric = "conversion", value = 1 });
                Assert.True(feedback.IsSuccessStatusCode, await feedback.Content.ReadAsStringAsync());
                conversions[version]++;
            }
        }

        Assert.True(units[1] > 10 && units[2] > 10, $"both arms need units: {units[1]} and {units[2]}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement report;
        while (true)
        {
            report = await server.AdminAsync(HttpMethod.Get, "/admin/endpoints/fraud/experiment");
            if (report.GetProperty("arms").EnumerateArray().Sum(a => a.GetProperty("units").GetInt64()) == Units || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        var (context, page, errors) = await OpenAsync();
        await using (context)
        {
            await page.GotoAsync(server.DashboardUrl + "#/endpoint/fraud");
            var card = page.GetByTestId("experiment");
            await Assertions.Expect(card).ToContainTextAsync($"A/B test on conversion (binary): {report.GetProperty("decision").GetString()}");
            foreach (var arm in report.GetProperty("arms").EnumerateArray())
            {
                var version = arm.GetProperty("version").GetInt64();
                var row = card.Locator($"tr[data-arm='{version}']");

                // Units and the mean, from what this test sent: every unit without feedback counts as 0.
                Assert.Equal(units[version], arm.GetProperty("units").GetInt64());
                await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync(Fmt(units[version], 0));
                await Assertions.Expect(row.Locator("td").Nth(4)).ToHaveTextAsync(Fmt((double)conversions[version] / units[version], 4));
                if (version == 1)
                {
                    await Assertions.Expect(row.Locator("td").Nth(0)).ToHaveTextAsync("v1 (control)");
                    continue;
                }

                // The candidate against the control: the lift with its confidence interval, the always-valid
                // interval and the sequential p-value that decide, as the API computed them.
                var c = arm.GetProperty("vs_control");
                var lift = c.GetProperty("lift").GetDouble();
                Assert.Equal(((double)conversions[2] / units[2]) - ((double)conversions[1] / units[1]), lift, 9);
                await Assertions.Expect(row.Locator("td").Nth(5)).ToHaveTextAsync($"{Fmt(lift, 4)} {Interval(c, "ci_lower", "ci_upper")}");
                await Assertions.Expect(row.Locator("td").Nth(6)).ToHaveTextAsync(Interval(c, "sequential_lower", "sequential_upper"));
                await Assertions.Expect(row.Locator("td").Nth(7)).ToHaveTextAsync(Fmt(c.GetProperty("sequential_p_value").GetDouble(), 4));
                await Assertions.Expect(row.Locator("td").Nth(8)).ToHaveTextAsync(arm.GetProperty("verdict").GetString()!);
            }

            await Assertions.Expect(card).ToContainTextAsync("sample-ratio check");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot("experiment"), FullPage = true });
            Assert.Empty(errors);
        }
    }

    [SkippableFact]
    public async Task ShadowCard_ShowsTheAgreementWithItsIntervalAndTheLastDisagreements_AsTheApiSays()
    {
        _ = _browser.Require(); // before starting a server: skip or fail at once
        await using var server = await DashboardServer.StartAsync();
        server.AddVersion2();
        await server.DeployAsync(new
        {
            endpoint = DashboardServer.Endpoint,
            version = 2,
            strategy = "shadow",
            shadow = new { percent = 100, gate = new { min_samples = 1_000_000 } }, // never decides: the card stays
        });

        server.StartTraffic();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await server.AdminAsync(HttpMethod.Get, "/admin/endpoints/fraud/rollout")).GetProperty("shadow").GetProperty("pairs").GetInt64() < 100)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than 100 mirrored pairs were compared in 60 s ({server})");
            await Task.Delay(200);
        }

        await server.StopTrafficAsync();
        var shadow = await SettledShadowAsync(server);

        var (context, page, errors) = await OpenAsync();
        await using (context)
        {
            await page.GotoAsync(server.DashboardUrl + "#/endpoint/fraud");
            var card = page.GetByTestId("shadow");
            await Assertions.Expect(card).ToContainTextAsync("Shadow fraud:2 of fraud:1");

            var a = shadow.GetProperty("agreement");
            var (agreed, compared) = (a.GetProperty("agreed").GetInt64(), a.GetProperty("compared").GetInt64());
            Assert.Equal((double)agreed / compared, a.GetProperty("rate").GetDouble(), 12);
            var (low, high) = (a.GetProperty("ci_low").GetDouble(), a.GetProperty("ci_high").GetDouble());
            Assert.True(low <= (double)agreed / compared && (double)agreed / compared <= high, $"the interval [{low}, {high}] leaves out the rate");
            string Pct(double v) => Fmt(v * 100, 2) + "%";
            await Assertions.Expect(card).ToContainTextAsync(
                $"{Pct(a.GetProperty("rate").GetDouble())} ({agreed}/{compared} by {a.GetProperty("basis").GetString()}; {Fmt(a.GetProperty("confidence").GetDouble() * 100, 0)}% interval {Pct(low)} – {Pct(high)})");
            await Assertions.Expect(card).ToContainTextAsync($"{shadow.GetProperty("pairs").GetInt64()} (mirrored {shadow.GetProperty("mirrored").GetInt64()}");

            var disagreements = shadow.GetProperty("disagreements");
            var rows = card.Locator("table tbody tr");
            if (disagreements.GetArrayLength() == 0)
            {
                Assert.Equal(compared, agreed);
                await Assertions.Expect(card).ToContainTextAsync("None.");
            }
            else
            {
                // Every disagreement the API keeps, newest first, each with both sides' outputs.
                await Assertions.Expect(rows).ToHaveCountAsync(disagreements.GetArrayLength());
                var newest = disagreements[disagreements.GetArrayLength() - 1];
                var outputName = newest.GetProperty("primary_outputs")[0].GetProperty("name").GetString()!;
                await Assertions.Expect(rows.First.Locator("td").Nth(1)).ToContainTextAsync(outputName);
                await Assertions.Expect(rows.First.Locator("td").Nth(2)).ToContainTextAsync(outputName);
            }

            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot("shadow"), FullPage = true });
            Assert.Empty(errors);
        }
    }

    /// <summary>The rollout's shadow report once mirrored copies still in flight are compared (two equal readings in a row).</summary>
    private static async Task<JsonElement> SettledShadowAsync(DashboardServer server)
    {
        var last = string.Empty;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var shadow = (await server.AdminAsync(HttpMethod.Get, "/admin/endpoints/fraud/rollout")).GetProperty("shadow");
            var reading = $"{shadow.GetProperty("pairs")} {shadow.GetProperty("queued")} {shadow.GetProperty("agreement")}";
            if ((reading == last && shadow.GetProperty("queued").GetInt32() == 0) || DateTime.UtcNow > deadline)
            {
                return shadow;
            }

            last = reading;
            await Task.Delay(500);
        }
    }
}

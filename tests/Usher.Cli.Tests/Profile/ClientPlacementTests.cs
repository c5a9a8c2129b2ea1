using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

public sealed class ClientPlacementTests
{
    [Theory]
    [InlineData("0-1\n", new[] { 0, 1 })]
    [InlineData("0-3,6", new[] { 0, 1, 2, 3, 6 })]
    [InlineData("5", new[] { 5 })]
    public void ParseList_ReadsTheKernelsCpuLists(string text, int[] cores)
        => Assert.Equal(cores, ClientPlacement.ParseList(text));

    [Theory]
    [InlineData("3-1")]
    [InlineData("a")]
    [InlineData("1-2-3")]
    public void ParseList_RefusesWhatIsNotOne(string text)
        => Assert.Throws<FormatException>(() => ClientPlacement.ParseList(text));

    [Theory]
    [InlineData(new[] { 0, 1 }, 0b01UL, "1")] // taskset -c 0: the client goes to core 1
    [InlineData(new[] { 0, 1, 2, 3 }, 0b0011UL, "2,3")]
    [InlineData(new[] { 0, 1 }, 0b11UL, null)] // the server has every core: the client shares them
    public void Others_AreTheOnlineCoresOutsideTheServers(int[] online, ulong mask, string? others)
        => Assert.Equal(others, ClientPlacement.Others(online, mask));
}

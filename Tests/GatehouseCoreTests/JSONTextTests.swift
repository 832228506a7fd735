import Foundation
import GatehouseCore
import Testing

@Suite("JSON writer for claims and token responses")
struct JSONTextTests {
    @Test("keys come out sorted and every value survives a round trip through a JSON parser")
    func roundTrip() throws {
        let hostile = "quote \" backslash \\ slash / newline \n tab \t bell \u{07} nul \u{00} é 😀 </script>"
        let members: [String: ClaimValue] = [
            "sub": .string("abc"), "b": .bool(true), "n": .number(-42), "weird": .string(hostile),
            "address": .object(["street_address": "1 \"Main\" St", "country": "NZ"]), "f": .bool(false),
        ]
        let text = JSONText.object(members)
        #expect(text.hasPrefix("{\"address\":{\"country\":\"NZ\","))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["weird"] as? String == hostile)
        #expect(parsed["n"] as? Int == -42)
        #expect(parsed["b"] as? Bool == true)
        #expect(parsed["f"] as? Bool == false)
        #expect((parsed["address"] as? [String: String])?["street_address"] == "1 \"Main\" St")
        #expect(text.contains("\\u0007") && text.contains("\\u0000"))
        #expect(JSONText.object([:]) == "{}")
    }
}

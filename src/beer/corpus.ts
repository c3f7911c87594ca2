/**
 * Word lists the generator learns from, per style family. Each family has the
 * words its names end with and the flavour words that suit it; the openers are
 * shared and give names their brewery-label feel.
 */
export type StyleFamily = { style: string; endings: readonly string[]; flavours: readonly string[] }

export const OPENERS = [
  'Honey', 'Dog', 'Black', 'Rusty', 'Lazy', 'Wild', 'Hazy', 'Golden', 'Old', 'Little', 'Big', 'Crooked',
  'Midnight', 'Copper', 'Iron', 'Velvet', 'Broken', 'Lucky', 'Salty', 'Sleepy', 'Northern', 'Southern',
  'Foggy', 'Thunder', 'River', 'Harbor', 'Mountain', 'Prairie', 'Cedar', 'Maple', 'Oak', 'Pine', 'Stone',
  'Barn', 'Lighthouse', 'Fox', 'Bear', 'Owl', 'Raven', 'Otter', 'Badger', 'Moose', 'Goat', 'Rooster',
  'Whale', 'Pelican', 'Heron', 'Coyote', 'Bison', 'Hound', 'Tiger', 'Dragon', 'Pirate', 'Monk', 'Wizard',
  'Captain', 'Professor', 'Grandpa', 'Farmhouse', 'Backyard', 'Sunday', 'Friday', 'Summer', 'Winter',
  'Autumn', 'Spring', 'Solstice', 'Equinox', 'Comet', 'Rocket', 'Atomic', 'Electric', 'Neon', 'Cosmic',
  'Lunar', 'Solar', 'Dusty', 'Muddy', 'Smoky', 'Frosty', 'Misty', 'Stormy', 'Sunny', 'Windy', 'Howling',
  'Dancing', 'Wandering', 'Roaring', 'Humming', 'Whistling', 'Grumpy', 'Jolly', 'Quiet', 'Loud', 'Brave',
] as const

export const STYLE_FAMILIES: readonly StyleFamily[] = [
  { style: 'IPA', endings: ['IPA', 'Double IPA', 'Session IPA', 'West Coast IPA', 'Hazy IPA'], flavours: ['Citrus', 'Mango', 'Pine', 'Grapefruit', 'Resin', 'Tropical', 'Dank', 'Juicy', 'Hop', 'Lupulin'] },
  { style: 'Pale Ale', endings: ['Pale Ale', 'Pale', 'APA'], flavours: ['Citra', 'Cascade', 'Orange', 'Biscuit', 'Bright', 'Crisp', 'Meadow', 'Sunlit'] },
  { style: 'Stout', endings: ['Stout', 'Imperial Stout', 'Oatmeal Stout', 'Milk Stout'], flavours: ['Chocolate', 'Coffee', 'Espresso', 'Vanilla', 'Roasted', 'Oatmeal', 'Molasses', 'Licorice', 'Cocoa'] },
  { style: 'Porter', endings: ['Porter', 'Baltic Porter', 'Robust Porter'], flavours: ['Smoked', 'Toffee', 'Chocolate', 'Coffee', 'Caramel', 'Brown Sugar', 'Nutty'] },
  { style: 'Saison', endings: ['Saison', 'Farmhouse Ale'], flavours: ['Peppercorn', 'Lemon', 'Hay', 'Rustic', 'Spiced', 'Orchard', 'Wildflower'] },
  { style: 'Pilsner', endings: ['Pilsner', 'Pils', 'Czech Pilsner'], flavours: ['Crisp', 'Noble', 'Saaz', 'Clear', 'Snappy', 'Cracker', 'Dry'] },
  { style: 'Lager', endings: ['Lager', 'Helles', 'Märzen', 'Dunkel', 'Vienna Lager'], flavours: ['Bready', 'Toasted', 'Clean', 'Amber', 'Malty', 'Cold', 'Smooth'] },
  { style: 'Wheat Beer', endings: ['Wheat', 'Hefeweizen', 'Witbier', 'Weisse'], flavours: ['Banana', 'Clove', 'Coriander', 'Orange Peel', 'Cloudy', 'Honeyed', 'Soft'] },
  { style: 'Sour', endings: ['Sour', 'Gose', 'Berliner Weisse', 'Wild Ale'], flavours: ['Raspberry', 'Cherry', 'Passionfruit', 'Lime', 'Tart', 'Funky', 'Salted', 'Guava'] },
  { style: 'Amber Ale', endings: ['Amber', 'Amber Ale', 'Red Ale'], flavours: ['Caramel', 'Toasty', 'Ruby', 'Crimson', 'Malt', 'Honey'] },
  { style: 'Brown Ale', endings: ['Brown Ale', 'Brown', 'Nut Brown'], flavours: ['Hazelnut', 'Pecan', 'Walnut', 'Toffee', 'Maple', 'Cinnamon'] },
  { style: 'Barleywine', endings: ['Barleywine', 'Old Ale', 'Wee Heavy'], flavours: ['Bourbon', 'Fig', 'Plum', 'Barrel', 'Sherry', 'Raisin', 'Dark Fruit'] },
  { style: 'Belgian Ale', endings: ['Dubbel', 'Tripel', 'Quad', 'Belgian Blonde', 'Abbey Ale'], flavours: ['Candi', 'Abbey', 'Golden', 'Date', 'Spiced', 'Pear', 'Monastery'] },
  { style: 'Kölsch', endings: ['Kölsch', 'Blonde Ale', 'Golden Ale'], flavours: ['Delicate', 'Biscuit', 'Straw', 'Light', 'Floral', 'Crisp'] },
]

/** Names in the spirit of the original demo's examples, to learn word pairs from. */
export const EXAMPLE_NAMES = [
  'Honey Dog Chocolate Stout',
  'Rusty Anchor Amber Ale',
  'Lazy Otter Hazy IPA',
  'Midnight Raven Imperial Stout',
  'Copper Fox Red Ale',
  'Old Lighthouse Baltic Porter',
  'Sleepy Bear Oatmeal Stout',
  'Wild Meadow Saison',
  'Golden Hour Pilsner',
  'Crooked Pine West Coast IPA',
  'Foggy Harbor Hefeweizen',
  'Salty Pelican Gose',
  'Thunder Goat Barleywine',
  'Velvet Monk Tripel',
  'Grandpa Walnut Brown Ale',
] as const

/*
 * What the name generator learns from. A name is a head of label words
 * (adjectives, nouns, and flavours that belong to one style family) followed by
 * an ending that names the style. Every word is ASCII and title-case, so the
 * generator never has to reformat anything while serving requests.
 */
export type StyleFamily = {
  // Shown next to the name, e.g. "(Stout)".
  readonly style: string
  // Words a name of this family ends with; the first is the plain style name.
  readonly endings: readonly string[]
  // Flavour words that only make sense for this family.
  readonly flavours: readonly string[]
  // Whole names the model learns word order and word pairs from.
  readonly examples: readonly string[]
}

export const ADJECTIVES: readonly string[] = [
  'Honey', 'Black', 'Rusty', 'Lazy', 'Wild', 'Golden', 'Old', 'Little', 'Big', 'Crooked', 'Midnight',
  'Copper', 'Iron', 'Velvet', 'Broken', 'Lucky', 'Salty', 'Sleepy', 'Northern', 'Southern', 'Foggy',
  'Dusty', 'Muddy', 'Smoky', 'Frosty', 'Misty', 'Stormy', 'Sunny', 'Windy', 'Howling', 'Dancing',
  'Wandering', 'Roaring', 'Humming', 'Whistling', 'Grumpy', 'Jolly', 'Quiet', 'Loud', 'Brave', 'Atomic',
  'Electric', 'Neon', 'Cosmic', 'Lunar', 'Solar', 'Silver', 'Scarlet', 'Emerald', 'Amber', 'Ivory',
  'Hidden', 'Lost', 'Forgotten', 'Restless', 'Stubborn', 'Curious', 'Clever', 'Wicked', 'Humble',
  'Proud', 'Tiny', 'Giant', 'Mighty', 'Gentle', 'Bold', 'Sly', 'Shady', 'Barefoot', 'Sunday', 'Friday',
  'Summer', 'Winter', 'Autumn', 'Spring', 'Backyard', 'Farmhouse', 'Downtown', 'Upstate', 'Coastal',
  'Alpine', 'Prairie', 'Twilight', 'Daybreak', 'Hollow', 'Tangled', 'Crimson', 'Bitter', 'Second',
  'Lonesome', 'Wobbly', 'Sneaky', 'Fuzzy', 'Lucid', 'Rowdy', 'Feral', 'Drowsy', 'Merry', 'Savage',
]

export const NOUNS: readonly string[] = [
  'Dog', 'Fox', 'Bear', 'Owl', 'Raven', 'Otter', 'Badger', 'Moose', 'Goat', 'Rooster', 'Whale',
  'Pelican', 'Heron', 'Coyote', 'Bison', 'Hound', 'Tiger', 'Dragon', 'Pirate', 'Monk', 'Wizard',
  'Captain', 'Professor', 'Grandpa', 'Anchor', 'Lighthouse', 'Harbor', 'River', 'Mountain', 'Canyon',
  'Meadow', 'Orchard', 'Barn', 'Cabin', 'Bridge', 'Tractor', 'Compass', 'Lantern', 'Kettle', 'Bicycle',
  'Rocket', 'Comet', 'Thunder', 'Lightning', 'Hour', 'Tide', 'Ember', 'Hollow', 'Ridge', 'Creek',
  'Trail', 'Quarry', 'Foundry', 'Railyard', 'Porch', 'Attic', 'Cellar', 'Garden', 'Alley', 'Mill',
  'Ferry', 'Saddle', 'Banjo', 'Fiddle', 'Jukebox', 'Robot', 'Yeti', 'Kraken', 'Unicorn', 'Gnome',
  'Sasquatch', 'Lumberjack', 'Sailor', 'Cowboy', 'Hermit', 'Poet', 'Bandit', 'Beekeeper', 'Falcon',
  'Sparrow', 'Walrus', 'Beaver', 'Squirrel', 'Lynx', 'Elk', 'Salmon', 'Trout', 'Mule', 'Donkey',
]

export const STYLE_FAMILIES: readonly StyleFamily[] = [
  {
    style: 'IPA',
    endings: ['IPA', 'Double IPA', 'Session IPA', 'West Coast IPA', 'Hazy IPA', 'Triple IPA', 'Rye IPA'],
    flavours: ['Citrus', 'Mango', 'Pine', 'Grapefruit', 'Resin', 'Tropical', 'Dank', 'Juicy', 'Hop', 'Lupulin', 'Mosaic', 'Galaxy'],
    examples: [
      'Lazy Otter Hazy IPA', 'Crooked Pine West Coast IPA', 'Cosmic Yeti Double IPA', 'Electric Mango IPA',
      'Juicy Kraken IPA', 'Rowdy Raccoon Rye IPA', 'Howling Coyote Citrus IPA', 'Lucky Bandit Session IPA',
    ],
  },
  {
    style: 'Pale Ale',
    endings: ['Pale Ale', 'Pale', 'American Pale Ale', 'English Pale Ale', 'Extra Pale Ale'],
    flavours: ['Citra', 'Cascade', 'Orange', 'Biscuit', 'Bright', 'Crisp', 'Sunlit', 'Zesty', 'Amarillo', 'Centennial'],
    examples: [
      'Sunny Porch Pale Ale', 'Backyard Bicycle Pale', 'Barefoot Sailor Cascade Pale Ale', 'Humble Beekeeper Pale Ale',
      'Golden Compass Extra Pale Ale', 'Drowsy Heron Citra Pale',
    ],
  },
  {
    style: 'Stout',
    endings: ['Stout', 'Imperial Stout', 'Oatmeal Stout', 'Milk Stout', 'Dry Stout', 'Irish Stout'],
    flavours: ['Chocolate', 'Coffee', 'Espresso', 'Vanilla', 'Roasted', 'Molasses', 'Licorice', 'Cocoa', 'Mocha', 'Marshmallow'],
    examples: [
      'Honey Dog Chocolate Stout', 'Midnight Raven Imperial Stout', 'Sleepy Bear Oatmeal Stout',
      'Black Walrus Coffee Stout', 'Grandpa Cellar Milk Stout', 'Savage Sasquatch Imperial Stout', 'Quiet Harbor Dry Stout',
    ],
  },
  {
    style: 'Porter',
    endings: ['Porter', 'Baltic Porter', 'Robust Porter', 'Smoked Porter', 'London Porter'],
    flavours: ['Toffee', 'Chocolate', 'Coffee', 'Caramel', 'Nutty', 'Campfire', 'Hickory', 'Treacle'],
    examples: [
      'Old Lighthouse Baltic Porter', 'Smoky Lumberjack Porter', 'Railyard Robust Porter', 'Stormy Ferry Porter',
      'Hidden Foundry Smoked Porter', 'Forgotten Kettle Toffee Porter',
    ],
  },
  {
    style: 'Saison',
    endings: ['Saison', 'Farmhouse Ale', 'Farmhouse Saison'],
    flavours: ['Peppercorn', 'Lemon', 'Hay', 'Rustic', 'Spiced', 'Wildflower', 'Barnyard', 'Harvest'],
    examples: [
      'Wild Meadow Saison', 'Jolly Rooster Farmhouse Ale', 'Dusty Tractor Saison', 'Summer Orchard Peppercorn Saison',
      'Gentle Goat Farmhouse Ale',
    ],
  },
  {
    style: 'Pilsner',
    endings: ['Pilsner', 'Pils', 'Czech Pilsner', 'German Pils', 'Italian Pils'],
    flavours: ['Crisp', 'Noble', 'Saaz', 'Snappy', 'Cracker', 'Dry', 'Brisk', 'Hallertau'],
    examples: [
      'Golden Hour Pilsner', 'Alpine Trail Pils', 'Frosty Bridge Czech Pilsner', 'Proud Sparrow Pilsner',
      'Downtown Jukebox Crisp Pils',
    ],
  },
  {
    style: 'Lager',
    endings: ['Lager', 'Helles', 'Dunkel', 'Vienna Lager', 'Amber Lager', 'Dark Lager', 'Rice Lager'],
    flavours: ['Bready', 'Toasted', 'Clean', 'Malty', 'Cold', 'Smooth', 'Lawnmower', 'Bavarian'],
    examples: [
      'Lonesome Cowboy Lager', 'Little Mill Helles', 'Iron Bridge Vienna Lager', 'Muddy River Dark Lager',
      'Merry Monk Dunkel', 'Friday Lawnmower Lager',
    ],
  },
  {
    style: 'Wheat Beer',
    endings: ['Wheat', 'Hefeweizen', 'Witbier', 'Wit', 'Dunkelweizen', 'Wheat Ale'],
    flavours: ['Banana', 'Clove', 'Coriander', 'Cloudy', 'Honeyed', 'Soft', 'Citron', 'Sunflower'],
    examples: [
      'Foggy Harbor Hefeweizen', 'Misty Garden Witbier', 'Spring Sparrow Wheat', 'Curious Beaver Banana Hefeweizen',
      'Twilight Alley Wit', 'Prairie Saddle Wheat Ale',
    ],
  },
  {
    style: 'Sour',
    endings: ['Sour', 'Gose', 'Berliner Weisse', 'Wild Ale', 'Kettle Sour', 'Flanders Red'],
    flavours: ['Raspberry', 'Cherry', 'Passionfruit', 'Lime', 'Tart', 'Funky', 'Salted', 'Guava', 'Rhubarb', 'Blackberry'],
    examples: [
      'Salty Pelican Gose', 'Wicked Unicorn Raspberry Sour', 'Tangled Creek Wild Ale', 'Neon Gnome Kettle Sour',
      'Sneaky Fox Cherry Sour', 'Coastal Tide Berliner Weisse',
    ],
  },
  {
    style: 'Amber Ale',
    endings: ['Amber Ale', 'Amber', 'Red Ale', 'Irish Red', 'Red'],
    flavours: ['Caramel', 'Toasty', 'Ruby', 'Malt', 'Maple', 'Cinder', 'Autumnal'],
    examples: [
      'Rusty Anchor Amber Ale', 'Copper Fox Red Ale', 'Crimson Canyon Amber', 'Stubborn Mule Irish Red',
      'Autumn Ember Caramel Amber Ale',
    ],
  },
  {
    style: 'Brown Ale',
    endings: ['Brown Ale', 'Brown', 'Nut Brown', 'Nut Brown Ale', 'English Mild'],
    flavours: ['Hazelnut', 'Pecan', 'Walnut', 'Toffee', 'Maple', 'Cinnamon', 'Chestnut', 'Acorn'],
    examples: [
      'Grandpa Walnut Brown Ale', 'Grumpy Badger Nut Brown', 'Hollow Squirrel Brown Ale', 'Humble Cabin Brown',
      'Jolly Donkey Nut Brown Ale',
    ],
  },
  {
    style: 'Barleywine',
    endings: ['Barleywine', 'Barleywine Ale', 'English Barleywine', 'Old Ale'],
    flavours: ['Bourbon', 'Fig', 'Plum', 'Barrel', 'Sherry', 'Raisin', 'Oaked', 'Brandied'],
    examples: [
      'Thunder Goat Barleywine', 'Old Professor Barleywine', 'Restless Hermit Bourbon Barleywine',
      'Mighty Moose Old Ale', 'Second Winter English Barleywine',
    ],
  },
  {
    style: 'Belgian Dubbel',
    endings: ['Dubbel', 'Abbey Dubbel', 'Abbey Ale', 'Belgian Dubbel'],
    flavours: ['Candi', 'Date', 'Figgy', 'Cherry', 'Monastery', 'Plum'],
    examples: [
      'Humming Monk Dubbel', 'Lantern Abbey Ale', 'Sly Poet Dubbel', 'Quiet Cellar Candi Dubbel',
    ],
  },
  {
    style: 'Belgian Tripel',
    endings: ['Tripel', 'Abbey Tripel', 'Golden Tripel', 'Belgian Tripel'],
    flavours: ['Pear', 'Spiced', 'Honeyed', 'Peppery', 'Cathedral', 'Bright'],
    examples: [
      'Velvet Monk Tripel', 'Ivory Wizard Tripel', 'Lucid Falcon Golden Tripel', 'Silver Bell Tripel',
    ],
  },
  {
    style: 'Blonde Ale',
    endings: ['Blonde Ale', 'Blonde', 'Golden Ale', 'Summer Ale'],
    flavours: ['Straw', 'Delicate', 'Light', 'Floral', 'Biscuit', 'Sunkissed'],
    examples: [
      'Barefoot Poet Blonde', 'Daybreak Ferry Golden Ale', 'Gentle Trout Blonde Ale', 'Windy Ridge Summer Ale',
    ],
  },
]

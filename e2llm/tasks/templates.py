"""Text banks of the instruction tasks: question paraphrases, emotion descriptions, scenarios.

Everything here is plain data. In question templates ``{e1}``, ``{e2}`` and ``{e3}`` mark where the
first, second and third EEG segment goes: the builders split the template there and put an
``{"type": "eeg"}`` content part in its place (a chat template later renders each as ``<eeg>``), so
no template contains the ``<eeg>`` string itself. ``{sup}`` (ESS) is a superlative such as
"the saddest", ``{scenarios}`` (EIM) the numbered scenario list and ``{scenario}`` (ESR) a scenario
text.

The ESR scenario bank (:data:`ESR_SCENARIOS`) is used by the evaluation-only ESR task and by
nothing that builds training text; the EIM bank (:data:`EIM_SCENARIOS`) is a separate set of short
descriptions of people. A test checks that no ESR scenario appears in any training sample.
"""

from __future__ import annotations

from ..emotions import EMOTION_WORDS
from .rules import HAPPINESS

# -- emotion words ---------------------------------------------------------------------------------

# A noun phrase per emotion, used in reasoning sentences ("It does not show sadness."): the word
# the projector's warm start also uses (``e2llm.emotions.EMOTION_WORDS``), neutral as a phrase.
EMOTION_NOUNS: dict[str, str] = {**EMOTION_WORDS, "neutral": "a neutral state"}

# The valence of each emotion, in words, one per EPC happiness level (rules.HAPPINESS): EPC's
# reasoning restates both emotions with these and compares them ("Anger is negative and surprise
# is mildly positive. Negative is less happy than mildly positive, ..."), words a pretrained LM
# already ranks.
VALENCE_WORDS: dict[str, str] = {
    e: ("negative", "neutral", "mildly positive", "positive")[level + 1] for e, level in HAPPINESS.items()
}

# Short descriptions (a few words) of a segment in a multi-segment answer: ``Segment (a): sadness,
# low energy and sorrow.`` IED's single-segment answers use the full sentences of DESCRIPTIONS.
SHORT_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "happy": ("a bright, positive mood", "cheerful and at ease", "pleasant, engaged attention"),
    "surprise": ("a sudden burst of alertness", "startled by the unexpected", "a quick spike of arousal"),
    "neutral": ("calm and balanced", "steady, with little arousal", "even and composed"),
    "disgust": ("aversion and revulsion", "a wish to turn away", "strong distaste"),
    "fear": ("tense vigilance against a threat", "alarm and apprehension", "high arousal and dread"),
    "sad": ("low energy and sorrow", "a heavy, subdued mood", "withdrawn and dejected"),
    "anger": ("tense and hostile", "a heated, high-arousal state", "frustration and hostility"),
}

# -- descriptions (chain-of-thought) ---------------------------------------------------------------

# Several one-sentence descriptions per emotion (15-30 words); each is a full sentence that reads
# on its own (IED) and after a "Segment (a): " prefix (multi-segment tasks).
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "happy": (
        "The EEG signals indicate a state of joy, often associated with pleasure, warmth and a sense that things are going well.",
        "These signals reflect happiness: a bright, positive mood with engaged attention and a feeling of contentment.",
        "The recording points to a cheerful state, the kind of positive arousal that comes with good news or shared laughter.",
        "The activity suggests the person feels glad and at ease, with the positive engagement typical of happiness.",
        "The EEG pattern is consistent with delight, a pleasant and energetic state linked to reward and satisfaction.",
        "These signals suggest a happy, uplifted mood, marked by positive feelings and openness toward others.",
    ),
    "surprise": (
        "The EEG signals indicate surprise, a sudden jump in alertness when something unexpected happens.",
        "These signals reflect astonishment: attention snaps toward an unforeseen event and the mind rushes to make sense of it.",
        "The recording points to a surprised state, with a quick burst of arousal in response to the unexpected.",
        "The activity suggests amazement, the brief, intense reaction of someone whose expectations were just overturned.",
        "The EEG pattern is consistent with surprise, a short spike of orienting and arousal rather than a lasting mood.",
        "These signals suggest the person has just been caught off guard and is reacting with astonishment.",
    ),
    "neutral": (
        "The EEG signals indicate a neutral state, calm and balanced, without strong positive or negative feelings.",
        "These signals reflect a calm baseline: steady attention and no marked emotional arousal.",
        "The recording points to emotional neutrality, the even, unremarkable state of someone going about an ordinary task.",
        "The activity suggests a relaxed, neutral mood with little emotional engagement in either direction.",
        "The EEG pattern is consistent with a calm, neutral state, steady and composed, without notable emotional reactions.",
        "These signals suggest indifference: the person seems composed and unmoved by what is happening.",
    ),
    "disgust": (
        "The EEG signals indicate disgust, a strong aversion often triggered by something foul, contaminated or offensive.",
        "These signals reflect revulsion: the urge to turn away from something unpleasant or unclean.",
        "The recording points to a state of disgust, with the withdrawal and aversion typical of encountering something repulsive.",
        "The activity suggests the person feels repelled, as if confronted with a bad smell, spoiled food or offensive behaviour.",
        "The EEG pattern is consistent with aversion and distaste, the negative, rejecting state of disgust.",
        "These signals suggest a disgusted reaction, marked by discomfort and a wish to avoid contact.",
    ),
    "fear": (
        "The EEG signals indicate fear, a state of heightened vigilance and tension in the face of possible danger.",
        "These signals reflect anxiety and dread: the mind braces for a threat that may be coming.",
        "The recording points to a frightened state, with high arousal and attention locked on something threatening.",
        "The activity suggests the person feels afraid, alert and tense, as if preparing to escape or protect themselves.",
        "The EEG pattern is consistent with fear, a negative, high-arousal state driven by a sense of threat.",
        "These signals suggest apprehension and alarm, typical of someone who feels unsafe.",
    ),
    "sad": (
        "The EEG signals indicate a state of depression, often associated with feelings of loss or disappointment.",
        "These signals reflect sadness: low energy, withdrawn attention and a heavy, sorrowful mood.",
        "The recording points to sorrow, the subdued, low-arousal state that follows loss or disappointment.",
        "The activity suggests the person feels down and dejected, with the low mood typical of grief.",
        "The EEG pattern is consistent with sadness, a negative, low-energy state linked to loss and longing.",
        "These signals suggest melancholy, a quiet, heavy mood of someone dwelling on something painful.",
    ),
    "anger": (
        "The EEG signals indicate anger, a tense, high-arousal state often provoked by unfairness or obstruction.",
        "These signals reflect irritation building into anger, with a readiness to confront someone or something.",
        "The recording points to an angry state: strong negative arousal directed at a perceived wrong.",
        "The activity suggests the person feels furious and tense, as after being insulted or treated unfairly.",
        "The EEG pattern is consistent with anger, an energized, hostile state focused on an offence.",
        "These signals suggest frustration and hostility, typical of someone who feels wronged.",
    ),
}

# -- IED -------------------------------------------------------------------------------------------

IED_QUESTIONS: tuple[str, ...] = (
    "Describe the emotion of {e1}.",
    "What emotion does the individual with EEG signals {e1} feel?",
    "Here is an EEG segment: {e1}. Describe the person's emotional state.",
    "Analyze the emotional state reflected in these EEG signals: {e1}",
    "{e1} What emotion do these EEG signals suggest?",
    "Based on the EEG {e1}, how is this person feeling?",
    "Interpret the emotional state behind this EEG recording: {e1}",
    "Which emotion is the individual with EEG {e1} experiencing? Explain briefly.",
    "Read this EEG segment {e1} and describe the emotion it reflects.",
    "Describe how the person with EEG signals {e1} feels, and name the emotion.",
    "What does the EEG {e1} reveal about this person's emotions?",
    "Given the EEG signals {e1}, identify and describe the emotional state.",
)

# -- EPC -------------------------------------------------------------------------------------------

EPC_QUESTIONS: tuple[str, ...] = (
    "Is the individual with EEG signals {e1} happier than the individual with {e2}?",
    "Compare these two people. Is the person with EEG {e1} happier than the person with EEG {e2}?",
    "Based on the EEG signals {e1} and {e2}, is the first individual happier than the second?",
    "Does the individual whose EEG is {e1} feel happier than the one whose EEG is {e2}?",
    "Here are two EEG segments, {e1} and {e2}. Is the first person in a happier state than the second?",
    "Judging from their EEG, is the individual with {e1} happier than the individual with {e2}?",
    "Is the first individual ({e1}) happier than the second individual ({e2})?",
    "First EEG: {e1} Second EEG: {e2} Is the first individual happier than the second one?",
    "Looking at the EEG {e1} and the EEG {e2}, is the first person happier?",
)

# Appended to every EPC question: defines the three possible answers.
EPC_ANSWER_HINTS: tuple[str, ...] = (
    " Answer yes, no, or equal.",
    " Reply with yes, no or equal.",
    " (yes / no / equal)",
    " The answer is yes, no, or equal.",
)

# -- ESS -------------------------------------------------------------------------------------------

ESS_QUESTIONS: tuple[str, ...] = (
    "Given three segments of EEG signals: a) {e1}, b) {e2}, c) {e3}, select {sup}.",
    "Here are EEG signals from three individuals: a) {e1}, b) {e2}, c) {e3}. Which individual is {sup}?",
    "Three people were recorded: a) {e1}, b) {e2}, c) {e3}. Based on their EEG, who is {sup}?",
    "Compare the emotional states in a) {e1}, b) {e2} and c) {e3}, and select the individual who is {sup}.",
    "a) {e1}\nb) {e2}\nc) {e3}\nWhich of these EEG segments belongs to the individual who is {sup}?",
    "Which of the three individuals is {sup}: a) {e1}, b) {e2}, or c) {e3}?",
    "Look at these EEG segments: a) {e1}, b) {e2}, c) {e3}. Pick the one from the person who is {sup}.",
    "From the EEG segments a) {e1}, b) {e2} and c) {e3}, choose the individual who is {sup}.",
)

# Superlatives per emotion, for "most" and "least" questions (always with the article).
ESS_MOST: dict[str, tuple[str, ...]] = {
    "happy": ("the happiest", "the most joyful"),
    "surprise": ("the most surprised", "the most astonished"),
    "neutral": ("the most neutral", "the most emotionally neutral"),
    "disgust": ("the most disgusted", "the most repulsed"),
    "fear": ("the most fearful", "the most frightened"),
    "sad": ("the saddest", "the most sorrowful"),
    "anger": ("the angriest", "the most furious"),
}
ESS_LEAST: dict[str, tuple[str, ...]] = {
    "happy": ("the least happy",),
    "surprise": ("the least surprised",),
    "neutral": ("the least neutral",),
    "disgust": ("the least disgusted",),
    "fear": ("the least fearful", "the least afraid"),
    "sad": ("the least sad",),
    "anger": ("the least angry",),
}

# -- EIM -------------------------------------------------------------------------------------------

EIM_QUESTIONS: tuple[str, ...] = (
    "Match the three EEG segments a) {e1}, b) {e2}, c) {e3} to these individuals: {scenarios}.",
    "Here are EEG signals of three people: a) {e1}, b) {e2}, c) {e3}. Match each one to a situation: {scenarios}.",
    "Three EEG segments: a) {e1}, b) {e2}, c) {e3}. Which segment belongs to whom? {scenarios}.",
    "Assign each EEG segment (a) {e1}, (b) {e2}, (c) {e3} to one of these people: {scenarios}.",
    "a) {e1}\nb) {e2}\nc) {e3}\nMatch the segments above to: {scenarios}.",
    "Pair each of the EEG segments a) {e1}, b) {e2} and c) {e3} with the person it most likely belongs to: {scenarios}.",
)

# Short descriptions of people in situations, each tied to one emotion.
EIM_SCENARIOS: dict[str, tuple[str, ...]] = {
    "neutral": (
        "someone waiting for a bus on an ordinary afternoon",
        "a commuter reading a train timetable",
        "an office worker sorting routine paperwork",
        "someone folding laundry while the radio plays",
        "a shopper comparing the prices of two brands of rice",
        "a person filling in a routine form at the post office",
        "someone listening to a weather report",
        "a student copying notes from the board",
        "a driver stopped at a red light on a quiet road",
        "someone standing in line at the bank",
    ),
    "happy": (
        "a new parent holding their sleeping newborn",
        "a graduate hugging friends after the ceremony",
        "friends laughing together over a shared meal",
        "a runner crossing the finish line of their first marathon",
        "a child unwrapping the exact gift they wished for",
        "a couple dancing at their wedding",
        "someone reunited with an old friend at the airport",
        "a gardener picking the first ripe tomato of the summer",
        "a team celebrating a hard-won victory",
        "a grandparent watching their grandchild take first steps",
    ),
    "surprise": (
        "a person startled by an abrupt, loud noise",
        "someone walking into an unexpected party thrown in their honour",
        "a person who finds a forgotten banknote in an old coat",
        "someone seeing snow fall in the middle of May",
        "a shopper told they are the store's millionth customer",
        "a person opening the door to a relative they thought was abroad",
        "a traveller whose seat is unexpectedly upgraded to first class",
        "someone watching a magician make a coin vanish",
        "a reader reaching the twist at the end of a novel",
        "a driver who sees a deer leap onto the road out of nowhere",
    ),
    "fear": (
        "a hiker hearing growling in a dark forest",
        "someone alone at home hearing footsteps upstairs",
        "a passenger on a plane in severe turbulence",
        "a swimmer who feels something brush past their leg in deep water",
        "someone walking through an unlit car park at night",
        "a climber whose rope suddenly slips",
        "someone lost in an unfamiliar city late at night",
        "a driver whose brakes fail on a steep hill",
        "a child hiding during a violent thunderstorm",
        "a person being chased by a barking dog",
    ),
    "sad": (
        "someone reading an old letter from a late grandparent",
        "a pet owner burying a beloved dog",
        "a person saying goodbye to a friend who is moving abroad",
        "someone sitting alone in an empty house after a divorce",
        "a student who failed an exam after months of work",
        "someone clearing out a parent's wardrobe after the funeral",
        "an elderly person whose phone stays silent on their birthday",
        "a worker packing up their desk after being laid off",
        "a child watching the moving van take their home away",
        "someone looking at photos of a relationship that has ended",
    ),
    "disgust": (
        "someone finding mould on the bread they just bit into",
        "a person stepping into something soft and foul-smelling on the pavement",
        "a diner who spots a cockroach in their soup",
        "someone cleaning a clogged, reeking drain",
        "a commuter next to someone spitting on the floor",
        "a person opening a fridge full of spoiled meat",
        "a cleaner facing a filthy public toilet",
        "someone discovering maggots in the rubbish bin",
        "a guest handed a glass with a greasy lipstick smear",
        "someone smelling milk that has gone sour",
    ),
    "anger": (
        "a driver cut off by a car that then slows down on purpose",
        "a worker whose colleague takes credit for their project",
        "someone whose bike is stolen for the second time",
        "a customer put on hold for an hour and then disconnected",
        "a tenant whose landlord keeps the deposit without reason",
        "a person insulted in front of their friends",
        "a student falsely accused of cheating",
        "someone whose parking space is taken as they signal to turn in",
        "a parent watching a bully push their child",
        "a pedestrian splashed by a car speeding through a puddle",
    ),
}

# -- ESR (evaluation only) -------------------------------------------------------------------------

ESR_T1_QUESTIONS: tuple[str, ...] = (
    "Describe the emotional state of each of these three EEG segments: a) {e1}, b) {e2}, c) {e3}.",
    "Here are EEG signals from three individuals: a) {e1}, b) {e2}, c) {e3}. Describe how each of them feels.",
    "a) {e1}\nb) {e2}\nc) {e3}\nWhat emotional state does each of these EEG segments reflect?",
    "Please describe the emotions shown in the EEG segments a) {e1}, b) {e2} and c) {e3}.",
    "Three people were recorded: a) {e1}, b) {e2}, c) {e3}. Describe the emotional state of each one.",
)

ESR_T2_QUESTIONS: tuple[str, ...] = (
    "{scenario}\nWhich of the three segments best matches how someone in this situation would feel? Select a, b or c and justify your choice.",
    "Consider this scenario: {scenario}\nWhich EEG segment (a, b or c) is the most appropriate for this situation? Explain why.",
    "{scenario}\nIf one of the three individuals were in this situation, which one would it most likely be? Choose a, b or c with a justification.",
    "Now read the following situation. {scenario}\nSelect the segment that fits it best and justify your answer.",
    "Scenario: {scenario}\nBased on your descriptions, which segment (a, b or c) reflects the feeling this scenario would evoke? Give your reasoning.",
    "{scenario}\nWhich of the segments a, b and c best fits this experience? Select one and explain.",
)

# Nuanced second-person scenarios with implicit emotional cues, ESR only. Each entry is
# (template with one "{}" slot, three fillers for the slot, the cue named in the justification);
# filling the slot gives three distinct, natural scenario texts per entry (10 entries × 3 fillers
# = 30 per emotion, 210 in all; the paper evaluates 167).
ESR_SCENARIOS: dict[str, tuple[tuple[str, tuple[str, str, str], str], ...]] = {
    "sad": (
        (
            "At a family gathering, {} sets the table with one fewer plate than usual. No one comments, but your cousin quietly takes the extra chair away.",
            ("your aunt", "your grandmother", "your mother"),
            "an unspoken absence at the table, a sign of grief for someone who is gone",
        ),
        (
            "You find your old dog's leash still hanging {}. You reach for it out of habit before remembering the house has been quiet for weeks.",
            ("by the front door", "on the coat rack", "behind the kitchen door"),
            "the habit of a lost companion and a quiet house, which speak of loss",
        ),
        (
            "The friend you used to call every Sunday stops answering. Months later, you learn from {} that they moved away without saying goodbye.",
            ("a mutual friend's photos", "a neighbour", "an old classmate"),
            "a friendship that faded without a farewell, leaving a sense of loss",
        ),
        (
            "You walk past your childhood home and see that the new owners have removed {} you used to play in. You stand there longer than you meant to.",
            ("the old oak tree", "the wooden treehouse", "the little garden"),
            "a lingering look at a lost piece of childhood, which suggests sorrow",
        ),
        (
            "You open {} from your university years. The last message, from two years ago, is yours, and nobody ever replied.",
            ("the group chat", "the shared message board", "the old email thread"),
            "being left unanswered by old friends, a quiet disappointment",
        ),
        (
            "{} hands you a recipe card in shaky handwriting and says you should keep it, since cooking has become too difficult.",
            ("Your grandmother", "Your elderly neighbour", "Your great-aunt"),
            "a hint of decline and farewell in a simple gift",
        ),
        (
            "After weeks of preparation, you check {} twice. Your name is not there, and your friends have already gone to celebrate.",
            ("the results board", "the list of admitted students", "the team roster"),
            "a missed goal and being left behind, which bring disappointment",
        ),
        (
            "You pack the last box in the flat you shared with your partner. {} is already empty.",
            ("Their side of the wardrobe", "Their half of the bookshelf", "The hook where their coat used to hang"),
            "the empty half of a shared home after a separation, a scene of loss",
        ),
        (
            "{} where you met your best friend every week has a 'closed for good' sign on the door. The chairs are stacked inside.",
            ("The café", "The little bakery", "The tea room"),
            "the end of a cherished ritual, which evokes sadness",
        ),
        (
            "{}, who used to beat you at chess, now forgets whose turn it is. You let the game go on without saying anything.",
            ("Your father", "Your grandfather", "Your old teacher"),
            "watching a loved one's decline in silence, a source of grief",
        ),
    ),
    "happy": (
        (
            "After a long week, {} cook your favourite dish and leave a plate warm for you with a note that just says 'proud of you'.",
            ("your flatmates", "your parents", "your friends"),
            "quiet care and recognition from people close to you, which bring warmth and joy",
        ),
        (
            "{} you nursed back from near death all winter finally opens its first flower on your windowsill.",
            ("The small plant", "The orchid", "The potted rose"),
            "a patient effort finally rewarded, a source of contentment",
        ),
        (
            "{} calls to say they passed their driving test, and the first place they want to drive is to see you.",
            ("Your younger brother", "Your cousin", "Your best friend"),
            "shared good news and affection, which lift the mood",
        ),
        (
            "At the end of a long hike, you and {} reach the summit just as the clouds clear and the whole valley appears below.",
            ("your friends", "your sister", "your hiking group"),
            "a shared achievement crowned by a beautiful view, evoking delight",
        ),
        (
            "{} you helped with groceries all year knits you a scarf in your favourite colour.",
            ("An elderly neighbour", "The old man next door", "A retired teacher"),
            "gratitude returned with a warm, personal gift, which brings happiness",
        ),
        (
            "{}, who struggled to read all year, proudly reads you a bedtime story without stumbling once.",
            ("Your daughter", "Your son", "Your little niece"),
            "a child's hard-won progress shared with you, a source of pride and happiness",
        ),
        (
            "The project you led for a year is praised at {}, and colleagues stop by your desk to congratulate you.",
            ("the company meeting", "the annual review", "the board presentation"),
            "recognition for long work, which brings satisfaction and joy",
        ),
        (
            "{} gather on your balcony, and the conversation flows as if no time has passed.",
            ("Your old school friends", "Your former teammates", "Friends you have not seen in years"),
            "easy reconnection with old friends, which feels joyful",
        ),
        (
            "{}, recovering well from surgery, insists on walking you to the bus stop and tells jokes the whole way.",
            ("Your grandfather", "Your father", "Your uncle"),
            "relief and shared laughter with a loved one, evoking happiness",
        ),
        (
            "On your birthday, {} sing to you over a video call, each holding up a candle, laughing at how out of tune they are.",
            ("your friends from abroad", "your cousins", "your former classmates"),
            "being remembered and celebrated by people you love, a clear source of joy",
        ),
    ),
    "surprise": (
        (
            "You pick up a second-hand book and a letter falls out, addressed to you by name, from {} you have not seen in fifteen years.",
            ("a classmate", "a childhood neighbour", "a former teacher"),
            "an event nobody could have anticipated, which provokes astonishment",
        ),
        (
            "{}, who barely speaks in meetings, steps onto the stage at the company party and plays a flawless jazz solo.",
            ("Your quiet colleague", "The shy intern", "Your reserved manager"),
            "a sudden reversal of expectations about someone, which causes surprise",
        ),
        (
            "You open the door expecting the delivery driver, and instead {}, who lives on another continent, is standing there with a suitcase.",
            ("your sister", "your oldest friend", "your cousin"),
            "an unannounced arrival that overturns your expectations, pointing to surprise",
        ),
        (
            "The lights go out in the cinema, and when they come back on, the person beside you turns out to be {}.",
            ("your childhood best friend", "your former roommate", "a teammate from primary school"),
            "an improbable coincidence, which produces astonishment",
        ),
        (
            "{}, who has never touched a computer, sends you a video call request from a new tablet.",
            ("Your grandmother", "Your great-uncle", "Your elderly landlord"),
            "something completely out of character, a clear trigger of surprise",
        ),
        (
            "While digging in the garden, your spade strikes {} containing coins from another century.",
            ("a small metal box", "a clay jar", "a rusted tin"),
            "an unexpected discovery, which brings astonishment",
        ),
        (
            "You check your bank account and find {} from a company you had forgotten you ever complained to.",
            ("a refund", "a compensation payment", "a goodwill transfer"),
            "something entirely unexpected turning up, which causes surprise",
        ),
        (
            "The stranger who helped you change a flat tyre last year turns out to be {} introduced at today's meeting.",
            ("the new manager", "the new director", "the guest speaker"),
            "an improbable reunion, which provokes astonishment",
        ),
        (
            "Halfway through a routine journey, {} announces a stop at a station that closed twenty years ago.",
            ("the conductor", "the driver", "the automated voice"),
            "a sudden break from routine, pointing to surprise",
        ),
        (
            "{}, who never says more than two words, stands up at dinner and gives a confident speech in fluent French.",
            ("Your shy nephew", "Your silent neighbour", "Your quiet brother-in-law"),
            "a startling revelation about someone, which causes surprise",
        ),
    ),
    "fear": (
        (
            "You are home alone and hear {} creak open, though you are sure you locked it. The hallway light is off.",
            ("the back door", "the cellar door", "the garden gate"),
            "a possible intruder and darkness, which signal threat and fear",
        ),
        (
            "{} calls and asks you to come in person to discuss your test results, but won't say anything more on the phone.",
            ("The doctor", "The clinic", "The specialist"),
            "an uncertain threat to your health, a source of dread",
        ),
        (
            "On {}, the fog thickens until you can barely see the edge, and the car behind you keeps flashing its lights.",
            ("a mountain road", "a narrow cliff road", "a winding pass"),
            "danger you cannot see and pressure from behind, evoking fear",
        ),
        (
            "Walking back through {}, you notice the same figure has been a few steps behind you for three streets.",
            ("an empty underpass", "a deserted alley", "a dim side street"),
            "being followed in an isolated place, a clear threat",
        ),
        (
            "The plane drops suddenly, the seatbelt sign flashes, and {} hurries down the aisle without smiling.",
            ("a flight attendant", "the purser", "a crew member"),
            "signs of danger you cannot control, which provoke fear",
        ),
        (
            "{} doesn't come home at the usual time, and their phone goes straight to voicemail.",
            ("Your child", "Your teenage son", "Your younger sister"),
            "worry for a loved one's safety, a source of fear",
        ),
        (
            "While swimming far from shore, you feel the current pull you out and {} seems to shrink.",
            ("the beach", "the lifeguard tower", "the pier"),
            "losing control in dangerous water, which evokes fear",
        ),
        (
            "In a remote cabin, {} suddenly stops barking and backs away from the window, growling low.",
            ("the dog", "your old sheepdog", "the neighbour's dog"),
            "an unseen threat sensed by an animal, pointing to fear",
        ),
        (
            "{} shudders, stops between floors, and the emergency light flickers on.",
            ("The elevator", "The old lift", "The hospital lift"),
            "being trapped with possible danger, which provokes fear",
        ),
        (
            "A message from an unknown number says 'I know where you live' and includes a photo of {}.",
            ("your front door", "your car", "your bedroom window"),
            "a direct threat to your safety, a clear trigger of fear",
        ),
    ),
    "disgust": (
        (
            "At {}, you watch a guest taste the sauce with their fingers and put the half-eaten piece back on the tray.",
            ("a buffet", "a wedding reception", "an office party"),
            "contaminated food and unhygienic behaviour, which evoke disgust",
        ),
        (
            "You reach into the back of the fridge and your fingers sink into something soft that used to be {}.",
            ("a cucumber", "a tomato", "a bag of salad"),
            "rotten food touching your skin, a typical trigger of disgust",
        ),
        (
            "{} looks fine until you pull back the sheets and find someone else's hair and stains.",
            ("The hotel room", "The holiday rental", "The hostel bed"),
            "signs of other people's uncleanliness, which provoke revulsion",
        ),
        (
            "{} clips his fingernails at his desk during lunch, and a clipping lands near your sandwich.",
            ("Your colleague", "The man at the next desk", "Your office mate"),
            "unhygienic behaviour near your food, pointing to disgust",
        ),
        (
            "{} has no water, the floor is sticky, and the smell reaches the corridor.",
            ("The public toilet on the train", "The restroom at the petrol station", "The toilet at the bus depot"),
            "filth and foul smells, classic triggers of disgust",
        ),
        (
            "{} coughs into his hand and then grabs the pole right where you are holding it.",
            ("A stranger on the bus", "A man on the tram", "A passenger on the metro"),
            "contact with another person's germs, which evokes disgust",
        ),
        (
            "While cleaning {}, you pull out a clump of grey, slimy residue that smells like rotten eggs.",
            ("the kitchen drain", "the shower drain", "the bathroom sink"),
            "slime and a putrid smell, which provoke revulsion",
        ),
        (
            "You bite into {} and see half of a worm wriggling in what is left.",
            ("an apple", "a pear", "a plum"),
            "contaminated food discovered mid-bite, a classic trigger of disgust",
        ),
        (
            "At {}, flies gather on meat that has been sitting in the sun for hours, and someone still offers you a plate.",
            ("a picnic", "a street fair", "a garden party"),
            "spoiled food covered in flies, which evokes disgust",
        ),
        (
            "{} leaves dishes in the sink for two weeks, and a film of mould now covers the water.",
            ("Your roommate", "Your flatmate", "Your housemate"),
            "mould and neglect, which provoke revulsion",
        ),
    ),
    "anger": (
        (
            "After you stayed late for weeks to finish the report, {} presents it to the board as his own work.",
            ("your manager", "your supervisor", "your team lead"),
            "unfair treatment and stolen credit, which provoke anger",
        ),
        (
            "{} takes the parking space you were clearly waiting for, then smirks at you while getting out.",
            ("A driver", "A man in a sports car", "A young driver"),
            "a deliberate provocation, a trigger of anger",
        ),
        (
            "{} cancels your trip, offers no explanation, and closes the service desk while you are still in line.",
            ("The airline", "The ferry company", "The coach operator"),
            "being treated with disregard, which provokes frustration and anger",
        ),
        (
            "{} party goes on past three in the morning again, a week after promising it would never happen again.",
            ("Your neighbour's", "The upstairs flat's", "Your landlord's"),
            "a broken promise and disrespect, pointing to anger",
        ),
        (
            "You find out that {} read your private diary and shared parts of it with friends.",
            ("your younger sibling", "your roommate", "your cousin"),
            "a violation of your privacy, which evokes anger",
        ),
        (
            "{} in front of you shouts at the young cashier over a small mistake and throws the change on the counter.",
            ("A customer", "A man", "A well-dressed woman"),
            "witnessing someone treated unjustly, which provokes indignation",
        ),
        (
            "{} charges you twice for a job they never finished and hangs up when you call.",
            ("The repair company", "The plumber", "The builder"),
            "being cheated and dismissed, which provokes anger",
        ),
        (
            "Someone in {} has done nothing all term and still demands the same grade as everyone else.",
            ("your group project", "your lab team", "your study group"),
            "unfairness and freeloading, a source of anger",
        ),
        (
            "You come back to {} and find that someone has slashed both tyres and left a rude note.",
            ("your bicycle", "your scooter", "your car"),
            "deliberate harm to your property, which evokes anger",
        ),
        (
            "During {}, a colleague keeps interrupting you and then repeats your idea as if it were his own.",
            ("a meeting", "a project review", "a client call"),
            "repeated disrespect and stolen ideas, which provoke anger",
        ),
    ),
    "neutral": (
        (
            "You sit in the waiting room of {}, where a screen shows the next ticket number and a clock ticks on the wall.",
            ("the tax office", "the town hall", "the passport office"),
            "a routine situation with nothing at stake, which suggests a neutral state",
        ),
        (
            "You sort your recycling into paper, glass and plastic, as you do every week, while {}.",
            ("the kettle heats up", "the washing machine runs", "the radio plays quietly"),
            "an ordinary chore without emotional weight, pointing to a calm, neutral state",
        ),
        (
            "Your {} arrives on time, you take your usual seat, and the landscape passes by the window as it always does.",
            ("train", "bus", "tram"),
            "an unremarkable, predictable routine, a neutral experience",
        ),
        (
            "You read the instructions on a new {} and set it up as described.",
            ("box of printer paper", "pack of light bulbs", "set of shelf brackets"),
            "a mundane task with no emotional stakes, pointing to neutrality",
        ),
        (
            "A colleague asks you which meeting room is free; you check {} and tell him room four.",
            ("the calendar", "the booking system", "the schedule on the wall"),
            "a plain, routine exchange, which suggests a neutral state",
        ),
        (
            "You stand in line at {} behind two people with half-full baskets, reading the labels on the shelf beside you.",
            ("the supermarket", "the corner shop", "the pharmacy"),
            "ordinary waiting without anything at stake, pointing to neutrality",
        ),
        (
            "You update the address on your {} account and confirm the change by email.",
            ("library", "electricity", "gym"),
            "a routine administrative step, a neutral experience",
        ),
        (
            "The weather forecast on {} says it will be mild and cloudy, much like yesterday.",
            ("the radio", "the evening news", "your phone"),
            "unremarkable, expected information, which suggests calm neutrality",
        ),
        (
            "You fold the laundry while {} about road construction plays in the background.",
            ("a documentary", "a radio programme", "a podcast"),
            "a repetitive chore with no emotional charge, pointing to a neutral state",
        ),
        (
            "You fill in a form at {}, write the postcode, and hand it over the counter.",
            ("the post office", "the bank", "the parcel depot"),
            "a routine errand, which suggests a neutral state",
        ),
    ),
}
